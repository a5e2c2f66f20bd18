/**
 * A TLS failure in words an operator can read. Node passes OpenSSL's error
 * queue on as the error message, one entry a line, in the format of
 * ERR_print_errors:
 *
 *   <thread id>:error:<code>:<library>:<function>:<reason>:<source file>:<line>:<data>
 *
 * e.g. `C0B7…:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert
 * handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL
 * alert number 40`. The thread id, code, function and source path say
 * something about our build, nothing about the server; the reason and the
 * data (the alert the server sent) are what happened.
 */

/** One OpenSSL queue entry: after `error:<hex code>:`, the library, the function (empty in OpenSSL 3 builds without names), the rest. */
const OPENSSL_ENTRY = /^(?:[0-9A-Fa-f]+:)?error:[0-9A-Fa-f]+:[^:]*:[^:]*:(.*)$/;
/** The tail of an entry's rest: `:<source file>.c:<line>:<data>` (absent when OpenSSL was built without file names). */
const SOURCE_AND_DATA = /^(.*?):[^:\s]*\.[ch]:\d+:(.*)$/;

function entry(line: string): string {
  const m = OPENSSL_ENTRY.exec(line);
  if (!m) return line;
  const rest = m[1]!;
  const located = SOURCE_AND_DATA.exec(rest);
  const reason = (located ? located[1]! : rest).trim();
  const data = located ? located[2]!.trim() : '';
  if (reason === '') return data || line;
  return data ? `${reason} (${data})` : reason;
}

/**
 * `message` on one line: every OpenSSL entry reduced to its reason and data,
 * entries joined by "; " and a repeated one said once. Any other message
 * is kept, its white space folded.
 */
export function tlsErrorMessage(message: string): string {
  const lines = message
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '');
  if (!lines.some((line) => OPENSSL_ENTRY.test(line))) return lines.join(' ');
  return [...new Set(lines.map(entry))].join('; ');
}
