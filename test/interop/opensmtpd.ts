/**
 * A throw-away OpenSMTPD (Debian's opensmtpd, unpacked by install-mtas.sh):
 * its own smtpd.conf and key in a temporary directory, run in the foreground
 * (`smtpd -d`, its log on stderr kept in a file) and stopped by its PID.
 *
 * Its spool (/var/spool/smtpd) and control socket (/var/run/smtpd.sock)
 * are compiled in: inside the daemon's own mount namespace, directories of
 * the work dir are mounted over /var/spool/smtpd and /run, so instances never
 * share them (two test runs may overlap on a shared machine).
 *
 * STARTTLS fails on Debian 12: 6.8.0p2's privilege-separated signer does not
 * work with OpenSSL 3 (every handshake ends in "SSL routines::EVP lib", RSA
 * and ECDSA keys alike; upstream OpenSMTPD issues 1171 and 1239, fixed in
 * 7.x). So `healthy` keeps `tls` as an operator would write it and proves the
 * checker reports the failed handshake, while the transaction policies
 * listen without `tls` so their answers can be judged.
 * AUTH cannot be offered before TLS at all: `auth` requires `tls` on the
 * listener, and AUTH is advertised only inside TLS.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKER_SOURCE_ADDRESS,
  GREYLIST_TEXT,
  type MtaInstance,
  type MtaPolicy,
  type MtaSetup,
} from './mta-instance.js';
import {
  UNPACKED_ROOT,
  freePort,
  makeWorkDir,
  requireBinary,
  requireRoot,
  startForegroundDaemon,
} from './mta-process.js';

/** The daemon binary: installed (or unpacked) by install-mtas.sh. */
export const SMTPD_BINARY = join(UNPACKED_ROOT, 'usr', 'sbin', 'smtpd');
/** Compiled-in spool; /var/run/smtpd.sock lives in /run (/var/run links there). */
const SPOOL = '/var/spool/smtpd';

/** Policies whose listener keeps `tls` (STARTTLS offered, and failing on this build). */
export const OPENSMTPD_TLS_POLICIES: ReadonlySet<MtaPolicy> = new Set([
  'healthy',
  'auth_before_tls',
  'auth_challenge_before_tls',
  'weak_certificate',
]);
/** Policies whose listener offers AUTH (`auth` requires `tls`; OpenSMTPD picks the mechanisms). */
const OPENSMTPD_AUTH_POLICIES: ReadonlySet<MtaPolicy> = new Set(['auth_before_tls', 'auth_challenge_before_tls']);

export function openSmtpdVersion(): string {
  requireBinary(SMTPD_BINARY, 'OpenSMTPD');
  // `smtpd -h` prints "version: OpenSMTPD 6.8.0p2" and the usage, exiting 1.
  let out: string;
  try {
    out = execFileSync(SMTPD_BINARY, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const match = /OpenSMTPD (\S+)/.exec(out);
  if (!match) throw new Error(`cannot read the OpenSMTPD version from "${out.slice(0, 200)}"`);
  return `OpenSMTPD ${match[1]}`;
}

export async function startOpenSmtpd(setup: MtaSetup): Promise<MtaInstance> {
  requireBinary(SMTPD_BINARY, 'OpenSMTPD');
  requireRoot();
  const software = openSmtpdVersion();
  const dir = makeWorkDir('opensmtpd');
  writeFileSync(join(dir, 'cert.pem'), setup.tls.cert);
  // smtpd refuses a key others can read.
  writeFileSync(join(dir, 'key.pem'), setup.tls.key, { mode: 0o600 });
  const port = await freePort(setup.host);
  const config = join(dir, 'smtpd.conf');
  writeFileSync(config, smtpdConf(setup, dir, port));
  const logFile = join(dir, 'smtpd.log');
  // smtpd makes the spool's subdirectories itself but wants the top one as its package ships it: root, 0711.
  // The mount points exist (install-mtas.sh).
  mkdirSync(join(dir, 'spool'));
  chmodSync(join(dir, 'spool'), 0o711);
  mkdirSync(join(dir, 'run'));
  const stop = await startForegroundDaemon({
    dir,
    argv: [SMTPD_BINARY, '-d', '-f', config],
    outputFile: logFile,
    binds: [
      { source: join(dir, 'spool'), target: SPOOL },
      { source: join(dir, 'run'), target: '/run' },
    ],
    what: 'OpenSMTPD',
    host: setup.host,
    port,
    diagnostics: [logFile],
  });
  return { software, host: setup.host, port, logFile, stop };
}

function smtpdConf(setup: MtaSetup, dir: string, port: number): string {
  const { domain, mxName, policy, host } = setup;
  const escapedDomain = domain.replace(/\./g, '\\.');
  const tls = OPENSMTPD_TLS_POLICIES.has(policy);
  const filter =
    policy === 'greylisting'
      ? ' filter "greylist"'
      : policy === 'null_sender_refused'
        ? ' filter "no-null-sender"'
        : '';
  return `# checker-smtp interop: OpenSMTPD for policy ${policy}
${policy === 'weak_certificate' ? '# OpenSSL refuses to load an RSA-1024, SHA-1-signed certificate above security level 0.\nsmtp ciphers "DEFAULT:@SECLEVEL=0"\n' : ''}pki ${mxName} cert "${dir}/cert.pem"
pki ${mxName} key "${dir}/key.pem"
table aliases { postmaster = root }
# Builtin filters: a decision with a 4xx/5xx message at one SMTP phase.
table null-sender { "^$" }
table local-recipients { "@${escapedDomain}$" }
filter "no-null-sender" phase mail-from match mail-from regex <null-sender> reject "550 5.7.1 Null sender refused"
filter "greylist" phase rcpt-to match rcpt-to regex <local-recipients> reject "450 4.2.0 ${GREYLIST_TEXT}"
listen on ${host} port ${port}${tls ? ` tls pki ${mxName}` : ''}${OPENSMTPD_AUTH_POLICIES.has(policy) ? ' auth' : ''} hostname ${mxName}${filter}
action "local" mbox alias <aliases>
action "relay" relay
${policy === 'postmaster_refused' ? `match from any for rcpt-to "postmaster@${domain}" reject\n` : ''}match from any for domain "${domain}" action "local"
${policy === 'open_relay' ? `# The classic mistake: relaying for a source that is not ours (here, the checker's).\nmatch from src ${CHECKER_SOURCE_ADDRESS} for any action "relay"\n` : ''}`;
}
