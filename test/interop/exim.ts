/**
 * A throw-away Exim (Debian's exim4-daemon-light, unpacked by
 * install-mtas.sh): its own configuration file (`-C`), spool, logs and pid
 * file in a temporary directory, run as a foreground daemon (`-bdf`) and
 * stopped by its PID. Exim starts its daemon only as an admin user (root or
 * Debian-exim) and receives as Debian-exim.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKER_SOURCE_ADDRESS,
  GREYLIST_TEXT,
  UNRELATED_TRUSTED_NETWORK,
  type MtaInstance,
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
export const EXIM_BINARY = join(UNPACKED_ROOT, 'usr', 'sbin', 'exim4');

export function eximVersion(): string {
  requireBinary(EXIM_BINARY, 'Exim (exim4-daemon-light)');
  // `-bV` without a configuration still prints the version line first (then complains of no config).
  let out: string;
  try {
    out = execFileSync(EXIM_BINARY, ['-bV'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '');
  }
  const match = /Exim version (\S+)/.exec(out);
  if (!match) throw new Error(`cannot read the Exim version from "${out.slice(0, 200)}"`);
  return `Exim ${match[1]}`;
}

export async function startExim(setup: MtaSetup): Promise<MtaInstance> {
  requireBinary(EXIM_BINARY, 'Exim (exim4-daemon-light)');
  requireRoot();
  const software = eximVersion();
  const dir = makeWorkDir('exim');
  const uid = Number(execFileSync('id', ['-u', 'Debian-exim'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'Debian-exim'], { encoding: 'utf8' }));
  // Exim writes its spool and logs as Debian-exim, and reads the key as Debian-exim too when TLS starts.
  for (const sub of ['spool', 'log']) {
    mkdirSync(join(dir, sub));
    chownSync(join(dir, sub), uid, gid);
  }
  writeFileSync(join(dir, 'cert.pem'), setup.tls.cert);
  writeFileSync(join(dir, 'key.pem'), setup.tls.key, { mode: 0o640 });
  chownSync(join(dir, 'key.pem'), 0, gid);
  const port = await freePort(setup.host);
  const config = join(dir, 'exim.conf');
  writeFileSync(config, eximConf(setup, dir, port));
  const stop = await startForegroundDaemon({
    dir,
    argv: [EXIM_BINARY, '-C', config, '-bdf'],
    outputFile: join(dir, 'log', 'stderr'),
    what: 'Exim',
    host: setup.host,
    port,
    diagnostics: [join(dir, 'log', 'stderr'), join(dir, 'log', 'paniclog')],
  });
  const logFile = join(dir, 'log', 'mainlog');
  return { software, host: setup.host, port, logFile, stop };
}

/** The whole configuration: main options, ACLs for the policy, an authenticator when AUTH is under test. */
function eximConf(setup: MtaSetup, dir: string, port: number): string {
  const { domain, mxName, policy, host } = setup;
  const tuning = setup.tuning ?? {};
  const relayFrom = policy === 'open_relay' ? CHECKER_SOURCE_ADDRESS : UNRELATED_TRUSTED_NETWORK;
  const interfaces = [host, ...(setup.connections?.alsoListenOn ?? [])].join(' ; ');
  // Exim answers a session over the limit "421 Too many concurrent SMTP connections; please try again later."
  const limit = setup.connections ? `smtp_accept_max = ${setup.connections.maxConnections}\n` : '';
  return `# checker-smtp interop: Exim for policy ${policy}
primary_hostname = ${mxName}
qualify_domain = ${domain}
domainlist local_domains = ${[domain, ...(tuning.localDomains ?? [])].join(' : ')}
hostlist relay_from_hosts = <; ${relayFrom}
local_interfaces = <; ${interfaces}
daemon_smtp_ports = ${port}
${limit}spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
# No lookups of the client's name or ident: nothing leaves loopback.
host_lookup =
rfc1413_hosts =
never_users = root
keep_environment =
tls_advertise_hosts = ${policy === 'no_starttls' ? '' : '*'}
tls_certificate = ${dir}/cert.pem
tls_privatekey = ${dir}/key.pem
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
${(tuning.main ?? []).join('\n')}

begin acl
${tuning.acl ?? ''}

acl_check_mail:
${policy === 'null_sender_refused' ? '  # "senders = :" matches the empty reverse-path.\n  deny    message = Null sender refused\n          senders = :\n' : ''}  accept

acl_check_rcpt:
${tuning.rcptAclFirst ?? ''}
  accept  hosts = +relay_from_hosts
  deny    message = relay not permitted
          !domains = +local_domains
${policy === 'greylisting' ? `  defer   message = ${GREYLIST_TEXT}\n          domains = +local_domains\n` : ''}${policy === 'postmaster_refused' ? '  deny    message = Postmaster does not take mail here\n          local_parts = postmaster\n' : ''}  accept  domains = +local_domains

begin routers

local_domains:
  driver = redirect
  domains = +local_domains
  data = :blackhole:

begin transports

begin authenticators
${
  policy === 'auth_before_tls'
    ? `
# A PLAIN authenticator advertised to everyone, TLS or not (Debian's own
# example restricts it with server_advertise_condition = \${if eq{$tls_in_cipher}{}{}{*}}).
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = false
  server_advertise_condition = true
`
    : policy === 'auth_challenge_before_tls'
      ? `
# A CRAM-MD5 authenticator alone, advertised to everyone, TLS or not: no
# clear-text password, but a login before TLS all the same.
cram:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = \${if eq{$auth1}{checker}{not-a-real-secret}fail}
  server_advertise_condition = true
`
      : ''
}`;
}
