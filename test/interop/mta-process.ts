/**
 * Process plumbing shared by the real-MTA harnesses: where the binaries are
 * (a missing one fails with the install command to run), a throw-away work
 * directory, a free port on one loopback address, waiting for a listener
 * without connecting to it, and running a daemon in its own mount namespace
 * whose /etc/resolv.conf points at a dead loopback address.
 *
 * Why the namespace: the machine's resolver is not on loopback, and an MTA
 * looks names up on its own (OpenSMTPD's bundled resolver asks DNS before
 * /etc/hosts for the client's PTR). Tests must never send anything off
 * loopback, so every MTA sees `nameserver 127.0.0.169` (nothing listens on
 * 53 there: lookups fail at once) and /etc/hosts as usual.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where install-mtas.sh unpacks exim4-daemon-light and opensmtpd (git-ignored). */
export const UNPACKED_ROOT = join(HERE, '.mta', 'root');
export const INSTALL_HINT =
  'run `bash test/interop/install-mtas.sh` as root (it installs postfix and swaks and unpacks exim4-daemon-light and opensmtpd)';

/** Dead resolver for the MTAs: last address of this suite's range (127.0.0.150–169), nothing listens there. */
const DEAD_RESOLVER = '127.0.0.169';
/** How long a daemon may take to listen or to go away on a loaded 2-core machine. */
export const DAEMON_WAIT_MS = 20_000;
const POLL_MS = 50;

/** The absolute path of an MTA binary, or an error that says how to install it. */
export function requireBinary(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} is not installed (${path} is missing): ${INSTALL_HINT}`);
  return path;
}

/** The interop suite starts daemons that bind, chroot and drop privileges: root only. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      `the real-MTA interop tests need root (Postfix and OpenSMTPD start only as root): ${INSTALL_HINT}, then run the tests as root`,
    );
}

/** A fresh directory readable by the MTAs' unprivileged users (mkdtemp makes it 0700). */
export function makeWorkDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `checker-smtp-${prefix}-`));
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'resolv.conf'),
    `# checker-smtp interop: lookups fail at once, on loopback\nnameserver ${DEAD_RESOLVER}\nlookup file bind\n`,
  );
  return dir;
}

/**
 * A hosts file without the loopback names, to bind over /etc/hosts: the
 * MTA then finds no name for 127.0.0.1 (its resolver is dead), as a server
 * finds none for a client without reverse DNS.
 */
export function hostsWithoutLoopbackName(dir: string): BindMount {
  const source = join(dir, 'hosts');
  writeFileSync(source, "# checker-smtp interop: no name for the checker's address\n");
  return { source, target: '/etc/hosts' };
}

export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A port free on `host` right now (the kernel's pick); the MTA binds it a moment later. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Whether something listens on host:port, read from /proc/net/tcp instead of
 * connecting: a probe connection would show up in the MTA's log (postscreen
 * records a HANGUP) and could count against us.
 */
export function isListening(host: string, port: number): boolean {
  const wanted = `${ipv4ProcHex(host)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const LISTEN_STATE = '0A';
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1] === wanted && fields[3] === LISTEN_STATE;
    });
}

/** /proc/net/tcp writes an IPv4 address as the 32-bit value in host (little-endian) order. */
function ipv4ProcHex(host: string): string {
  return host
    .split('.')
    .reverse()
    .map((octet) => Number(octet).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = DAEMON_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A directory of the work dir mounted over a system path, inside the namespace only. */
export interface BindMount {
  source: string;
  target: string;
}

/** `argv` as it runs inside the isolated mount namespace (see the file comment), with extra bind mounts. */
function isolated(dir: string, argv: string[], binds: BindMount[]): string[] {
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const mounts = [{ source: `${dir}/resolv.conf`, target: '/etc/resolv.conf' }, ...binds]
    .map(({ source, target }) => `mount --bind ${quote(source)} ${quote(target)}`)
    .join(' && ');
  // unshare execs in place (no --fork): after `exec`, the pid we hold is the daemon's.
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    `${mounts} && exec ${argv.map(quote).join(' ')}`,
  ];
}

/** Runs a command to completion in the isolated namespace; throws with its output on failure. */
export function runIsolated(dir: string, argv: string[], binds: BindMount[] = []): string {
  const [command, ...args] = isolated(dir, argv, binds);
  try {
    return execFileSync(command!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${argv.join(' ')} failed: ${(e.stderr ?? '') + (e.stdout ?? '')}`.trim(), { cause: err });
  }
}

export interface ForegroundDaemon {
  /** The work dir (removed by `stop`). */
  dir: string;
  argv: string[];
  /** Where its stdout and stderr go. */
  outputFile: string;
  binds?: BindMount[];
  /** What listens where, once it is up. */
  what: string;
  host: string;
  port: number;
  /** Logs worth showing when it fails to start. */
  diagnostics: string[];
}

/**
 * Starts a foreground daemon in the isolated namespace and waits until it
 * listens. Resolves with its stop function (by PID, then the work dir is
 * removed); when it does not come up, it is stopped and the error carries
 * the tail of its logs.
 */
export async function startForegroundDaemon(d: ForegroundDaemon): Promise<() => Promise<void>> {
  const fd = openSync(d.outputFile, 'a');
  const [command, ...args] = isolated(d.dir, d.argv, d.binds ?? []);
  let child: ChildProcess;
  try {
    child = spawn(command!, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const stop = async () => {
    await stopChild(child);
    removeWorkDir(d.dir);
  };
  try {
    await waitFor(`${d.what} on ${d.host}:${d.port}`, () => {
      if (child.exitCode !== null) throw new Error(`${d.what} exited with status ${child.exitCode}`);
      return isListening(d.host, d.port);
    });
  } catch (err) {
    const logs = d.diagnostics.map((file) => `--- ${file} ---\n${tail(file)}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  return stop;
}

/** Stops a daemon we spawned, by its PID, and waits until it is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), DAEMON_WAIT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a log file, for a failing test's output. */
export function tail(path: string, lines = 40): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}
