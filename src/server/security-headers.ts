/**
 * Headers that tell a browser what our answers may do. Every answer: no
 * content sniffing, no referrer. HTML answers: a Content-Security-Policy
 * that allows exactly what our pages use (their own inline <style>, nothing
 * else: no script, no image, no font, no connection). The HTML report
 * (/report) must stay framable, because hosts show it in a sandboxed
 * iframe; the /check page, with its form and its token, never is.
 */
import type { FastifyReply } from 'fastify';
import { REPORT_CSP } from '../presentation/html/render-report.js';
import type { ServiceApp } from './service-deps.js';

/** The report's own policy (also in its <meta>): framed by whoever shows it, so no frame-ancestors. */
export { REPORT_CSP };

/** The /check page and its error pages: the same, plus its form posts to itself, and no one may frame it. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Routes whose HTML may be framed: the report, for hosts. */
const FRAMABLE_ROUTES = new Set(['/report']);

function isHtml(reply: FastifyReply): boolean {
  return /^text\/html\b/i.test(String(reply.getHeader('content-type') ?? ''));
}

export function registerSecurityHeaders(app: ServiceApp): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!isHtml(reply)) return payload;
    if (FRAMABLE_ROUTES.has(request.routeOptions.url ?? '')) {
      reply.header('content-security-policy', REPORT_CSP);
    } else {
      reply.header('content-security-policy', PAGE_CSP);
      // For browsers that predate frame-ancestors.
      reply.header('x-frame-options', 'DENY');
      // The page may carry a token typed in its form: no cache keeps it.
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}
