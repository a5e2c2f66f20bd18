/**
 * GET /check: the form, filled in from the query when a link carries one
 * (`/check?domain=example.com&mx=…`): safe to prefetch, it runs nothing
 * unless the deployment allows running on GET (--check-on-get). POST /check,
 * or GET with --check-on-get: the check, answered as a streamed page. The
 * frame (head, form) and "Checking example.com…" go out at once, then one
 * line per step as collect reports it, then the result (evaluated and
 * rendered in a worker thread when large), then the end of the document: a
 * browser shows the progress without any script. What refuses a check before
 * it starts (bad input, the allow-list, too many checks) re-renders the form
 * with the message and the error's status; an error after the page began
 * can no longer change its status (200), so the page says it in words.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CheckFormBodySchema } from '../../model/protocol.js';
import { plural } from '../../model/text.js';
import {
  checkFormPage,
  checkPageFrame,
  formValues,
  parseCheckForm,
  progressEnd,
  progressLine,
  progressStart,
  shareLink,
  shareQuery,
  streamedError,
  type PageOptions,
} from '../check-page.js';
import { progressText } from '../check-progress.js';
import { errorAnswer } from '../error-handler.js';
import { prepareCollect } from '../run-collect.js';
import type { ServiceApp, ServiceDeps } from '../service-deps.js';

const HTML = 'text/html; charset=utf-8';
const page = (reply: FastifyReply, html: string | Buffer) => reply.type(HTML).send(html);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The form fields a request carries: the body of a POST, the query of a GET (a shared link). */
function sentFields(request: FastifyRequest): Record<string, unknown> | undefined {
  const fields = request.method === 'POST' ? request.body : request.query;
  return isRecord(fields) ? fields : undefined;
}

/** A GET that names a domain: a shared link, or a demo link. */
function linkedDomain(request: FastifyRequest): boolean {
  const q = request.query;
  return isRecord(q) && typeof q['domain'] === 'string' && q['domain'].trim() !== '';
}

export function registerCheckRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { settings } = deps;
  const pageOptions: PageOptions = {
    needsToken: settings.token !== null,
    probeAddress: settings.allowProbeAddress,
    demoDomains: deps.demoDomains,
  };
  const errorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message } = errorAnswer(error, request);
    const fields = sentFields(request);
    const values = fields ? formValues(fields) : undefined;
    return page(reply.code(status), checkFormPage({ values, error: message, ...pageOptions }));
  };

  /** Runs the check the fields describe and streams the page; refusals before the start throw (errorHandler). */
  const streamCheck = (request: FastifyRequest, reply: FastifyReply, fields: Record<string, unknown>) => {
    const form = parseCheckForm(fields);
    const prepared = prepareCollect(deps, { options: form.options, mx: form.mx, request, reply, page: true });
    const frame = checkPageFrame({ values: form.values, title: `${prepared.domain} (checker-smtp)`, ...pageOptions });
    const out = new PassThrough();
    // A client gone mid-stream destroys the stream; what is still written then goes nowhere, quietly.
    out.on('error', () => undefined);
    const write = (html: string | Buffer) => {
      if (!out.destroyed && !reply.raw.destroyed) out.write(html);
    };
    write(frame.head + progressStart(prepared.domain));
    const share = `${request.protocol}://${request.host}/check?${shareQuery(form.values)}`;
    const started = Date.now();
    let progressOpen = true;
    const endProgress = (summary: string) => {
      progressOpen = false;
      return progressEnd(summary);
    };
    void (async () => {
      try {
        const obs = await prepared.run((event) => {
          const line = progressText(event, prepared.domain);
          if (line !== null) write(progressLine(line));
        });
        if (reply.raw.destroyed) return;
        const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
        write(endProgress(`Done in ${took}: ${plural(obs.endpoints.length, 'endpoint')}.`) + shareLink(share));
        write(await deps.present.run(obs, { kind: 'check-result' }));
      } catch (error) {
        const { message } = errorAnswer(error, request);
        // The progress list is closed once, whether the check or the rendering after it failed.
        write((progressOpen ? endProgress('Stopped.') : '') + streamedError(message));
      } finally {
        write(frame.tail);
        out.end();
      }
    })();
    // Proxies (nginx) pass each piece on as it comes, and nothing keeps a copy of a page that may carry a token.
    return reply.type(HTML).header('x-accel-buffering', 'no').header('cache-control', 'no-store').send(out);
  };

  // A GET runs only where the deployment allows it: it is counted and charged as work then.
  const getOptions = settings.checkOnGet ? deps.work : {};
  app.get('/check', { ...getOptions, errorHandler }, async (request, reply) => {
    if (!linkedDomain(request)) return page(reply, checkFormPage(pageOptions));
    const fields = sentFields(request) ?? {};
    if (settings.checkOnGet) return streamCheck(request, reply, fields);
    const values = formValues(fields);
    return page(
      reply,
      checkFormPage({
        values,
        notice: `Press "Run the check" to check ${values.domain.trim()}: this checker does not run a check on a link alone.`,
        ...pageOptions,
      }),
    );
  });

  app.post('/check', { schema: { body: CheckFormBodySchema }, ...deps.work, errorHandler }, async (request, reply) =>
    streamCheck(request, reply, request.body),
  );
}
