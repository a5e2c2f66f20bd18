/**
 * The real `checker-smtp serve` process for end-to-end tests: started on a
 * random loopback port with the given flags, its JSON log lines parsed, its
 * exit code awaited. No test dials outside loopback: the egress check is
 * off unless a test turns it on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/model/package-info.js';
import { testCa } from '../peers/certs.js';
import { CLI_MAIN as MAIN } from '../integration/run-cli.js';

/**
 * A cold start compiles the sources (tsx) on a loaded two-core machine: seconds, not milliseconds; with
 * other suites running beside it, more than 20 s was seen.
 */
const READY_WITHIN_MS = 60_000;

export interface ServeProcess {
  child: ChildProcess;
  /** "http://127.0.0.1:PORT" */
  base: string;
  /** "127.0.0.1:PORT" */
  listen: string;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

let caFile: string | undefined;

/** The test CA in a file, for NODE_EXTRA_CA_CERTS (made once per process). */
function testCaFile(): string {
  if (caFile === undefined) {
    caFile = join(mkdtempSync(join(tmpdir(), 'checker-smtp-e2e-')), 'ca.pem');
    writeFileSync(caFile, testCa().cert);
  }
  return caFile;
}

export function startServe(resolver: string, smtpPort: number, extra: string[] = []): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      'serve',
      '-listen',
      '127.0.0.1:0',
      '--resolver',
      resolver,
      '--port',
      String(smtpPort),
      '--allow-private-targets',
      // No test dials outside loopback.
      '--egress-canary',
      'none',
      ...extra,
    ],
    {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: testCaFile() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave it behind: a live child would keep the test process (and the whole run) waiting.
      child.kill('SIGKILL');
      reject(new Error(`serve did not get ready within ${READY_WITHIN_MS / 1000} s: ${stderr}`));
    }, READY_WITHIN_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'checker-smtp ready') {
        clearTimeout(timer);
        const listen = (entry['listen'] as string[])[0]!;
        resolve({ child, base: `http://${listen}`, listen, logs, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
}
