/**
 * What a client hears when its request never became one: too slow (the
 * header or request deadline), headers too large, or bytes that are not
 * HTTP. Node hands these to the server before any route runs; the answer is
 * written on the raw socket, as `{error}` like every other refusal, and the
 * connection is closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpSettings } from '../config/http-settings.js';
import type { ErrorResponse } from '../model/protocol.js';

function answer(status: number, message: string): string {
  const body = JSON.stringify({ error: message } satisfies ErrorResponse);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Fastify's clientErrorHandler: one sentence per kind of failure, then the socket is closed. */
export function clientErrorHandler(http: Pick<HttpSettings, 'headersTimeoutMs' | 'requestTimeoutMs'>) {
  const timeout = answer(
    408,
    `Request timeout: headers must arrive within ${http.headersTimeoutMs / 1000} s and the whole request within ${http.requestTimeoutMs / 1000} s.`,
  );
  const tooLarge = answer(431, 'Request headers too large.');
  const malformed = answer(400, 'Malformed HTTP request.');
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset leaves nothing to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const text =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? timeout : err.code === 'HPE_HEADER_OVERFLOW' ? tooLarge : malformed;
    if (socket.writable) socket.write(text);
    socket.destroy();
  };
}
