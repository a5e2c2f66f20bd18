/**
 * Draining: answers still in flight when close() starts end their
 * connection, so a keep-alive client cannot hold the process open until its
 * idle timeout.
 */
import type { ServiceApp } from './service-deps.js';

export function registerDrain(app: ServiceApp): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
