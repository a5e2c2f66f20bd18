/**
 * The distributed batch's world in a child process (fleet-peer-process.ts):
 * its DNS server, its SMTP servers and, with latency, the delay proxies in
 * front of them. Apart from the bench process, so that the bench's own CPU
 * time is the coordinator's and the peers' is read from their pid, and a
 * 100,000-domain zone or the servers' logs never weigh on the coordinator.
 *
 *   const peers = await startFleetPeers({ suffix, addresses, domains: 1500, oneWayMs: 25, dnsHost });
 *   … --resolver peers.dns --port peers.port …
 *   const { peak } = await peers.stats();
 *   await peers.stop();
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface FleetPeerConfig {
  /** Zone of the run: domains `<prefix><i>.<suffix>`, MX names `mx<m>.<suffix>`. */
  suffix: string;
  domainPrefix: string;
  /** The MX addresses; domain i's one MX is mx<i mod addresses.length>. */
  addresses: string[];
  domains: number;
  /** Delay proxies with this one-way delay in front of one server; null: a server on each address, no proxy. */
  oneWayMs: number | null;
  /** Where the DNS server listens. */
  dnsHost: string;
}

export interface FleetPeerStats {
  /** The most connections open at once to one address (at the proxies; null without them). */
  peak: number | null;
  /** SMTP sessions the servers accepted, and DNS questions answered, since the start. */
  sessions: number;
  dnsQueries: number;
}

export interface FleetPeers {
  readonly pid: number;
  /** The resolver and SMTP port the workers are given. */
  readonly dns: string;
  readonly port: number;
  stats(): Promise<FleetPeerStats>;
  stop(): Promise<void>;
}

/** Ready line the child prints once listening. */
export interface FleetPeerReady {
  dns: string;
  port: number;
}

/** The stdin line asking the child for its stats (answered with one JSON line). */
export const STATS_REQUEST = 'stats';

export const fleetDomain = (config: Pick<FleetPeerConfig, 'suffix' | 'domainPrefix'>, i: number) =>
  `${config.domainPrefix}${i}.${config.suffix}`;

export async function startFleetPeers(config: FleetPeerConfig): Promise<FleetPeers> {
  const script = fileURLToPath(new URL('./fleet-peer-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the fleet's peer process exited (${code})`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(line);
      });
    });
  const ready = JSON.parse(await next()) as FleetPeerReady;
  return {
    pid: child.pid!,
    dns: ready.dns,
    port: ready.port,
    async stats() {
      const answer = next();
      child.stdin!.write(`${STATS_REQUEST}\n`);
      return JSON.parse(await answer) as FleetPeerStats;
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}
