/**
 * A filtered port on loopback, without root or a firewall: a child process
 * listens with a backlog of 1 and then blocks its event loop, so it never
 * accepts. Once its accept queue is full (two connections on Linux: the
 * backlog plus one), the kernel drops every further SYN, and a connect
 * times out exactly as it does through a firewall that drops packets, or an
 * ISP blocking outbound port 25.
 *
 *   const filtered = await startFilteredPort(['127.0.0.80', '127.0.0.81']);
 *   ... connect to 127.0.0.80:filtered.port: no answer ...
 *   await filtered.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';

/** Connections that fill a backlog-1 accept queue (the kernel queues backlog + 1). */
const QUEUE_FILLERS = 2;
/** How long the child may take to start and listen on a loaded machine. */
const START_TIMEOUT_MS = 10_000;
/** Attempts at a port free on every host (the kernel picks it on the first; another may hold it elsewhere). */
const PORT_ATTEMPTS = 10;

/**
 * The child: listens on every host given, on one port (the kernel's pick on
 * the first), prints it, then blocks forever. Exits 2 when a later host has
 * the port taken, so the parent tries again.
 */
const CHILD = `
const net = require('node:net');
const hosts = process.argv.slice(1);
let port = 0;
const next = (i) => {
  if (i === hosts.length) {
    process.stdout.write(JSON.stringify({ port }) + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
    return;
  }
  const server = net.createServer();
  server.once('error', () => process.exit(2));
  server.listen({ host: hosts[i], port, backlog: 1 }, () => {
    port = server.address().port;
    next(i + 1);
  });
};
next(0);
`;

export interface FilteredPort {
  readonly hosts: readonly string[];
  readonly port: number;
  close(): Promise<void>;
}

function startChild(hosts: readonly string[]): Promise<{ child: ChildProcess; port: number } | null> {
  const child = spawn(process.execPath, ['-e', CHILD, ...hosts], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the filtered-port child did not listen on ${hosts.join(', ')}`));
    }, START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 2) resolve(null);
      else reject(new Error(`the filtered-port child exited with ${code}`));
    });
  });
}

function fill(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function startFilteredPort(hosts: readonly string[]): Promise<FilteredPort> {
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const started = await startChild(hosts);
    if (!started) continue;
    const { child, port } = started;
    const fillers: net.Socket[] = [];
    for (const host of hosts) for (let i = 0; i < QUEUE_FILLERS; i++) fillers.push(await fill(host, port));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      hosts,
      port,
      close: async () => {
        for (const s of fillers) s.destroy();
        child.kill('SIGKILL');
        await exited;
      },
    };
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}
