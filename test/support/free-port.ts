/**
 * A free TCP port on a loopback address, for daemons that cannot listen on
 * port 0 and report the port they got (redis-server, postgres). The port is
 * free when this returns; a starter that loses the race retries.
 */
import net from 'node:net';

export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
