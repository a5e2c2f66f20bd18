/**
 * `--source-address` checked before any probe: an address this machine
 * does not have would make every connection fail with EADDRNOTAVAIL, and
 * every domain of a batch would be reported unreachable for the checker's
 * own mistake. Binding a throw-away listener on port 0 asks the kernel the
 * same question a connect's bind does.
 */
import net from 'node:net';
import { CheckerError } from '../model/errors.js';
import { quote } from '../model/text.js';
import type { SourceAddresses } from '../config/source-address.js';

const WHY: Record<string, string> = {
  EADDRNOTAVAIL: 'it is not an address of this machine',
  EACCES: 'binding to it is not permitted',
};

function tryBind(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      reject(
        new CheckerError(
          'setting.invalid',
          `Cannot send from source address ${quote(address)}: ${WHY[code] ?? err.message} (${code}).`,
          { cause: err },
        ),
      );
    });
    server.listen(0, address, () => server.close(() => resolve()));
  });
}

/** Resolves when every given source address can be bound here; rejects with `setting.invalid` naming the first that cannot. */
export async function assertSourceAddressesUsable(source: SourceAddresses): Promise<void> {
  for (const address of [source[4], source[6]]) if (address !== undefined) await tryBind(address);
}
