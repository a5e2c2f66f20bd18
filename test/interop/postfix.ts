/**
 * A throw-away Postfix instance: its own config_directory, queue_directory,
 * data_directory and maillog_file in a temporary directory, started with
 * `postfix -c DIR start` and stopped with `postfix -c DIR stop`.
 *
 * Postfix refuses inet_interfaces addresses that are not on an interface
 * and binds every 127.0.0.x only through a master.cf service line
 * (`127.0.0.151:PORT inet n - n - - smtpd`). Postfix starts only as root
 * (the master drops privileges to the postfix user for its daemons).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKER_SOURCE_ADDRESS,
  GREYLIST_TEXT,
  UNRELATED_TRUSTED_NETWORK,
  type MtaInstance,
  type MtaPolicy,
  type MtaSetup,
} from './mta-instance.js';
import {
  freePort,
  isListening,
  makeWorkDir,
  processAlive,
  removeWorkDir,
  requireBinary,
  requireRoot,
  runIsolated,
  hostsWithoutLoopbackName,
  waitFor,
} from './mta-process.js';

/** The daemon binary: installed (or unpacked) by install-mtas.sh. */
export const POSTFIX_BINARY = '/usr/sbin/postfix';
const POSTCONF = '/usr/sbin/postconf';

export interface PostfixSetup extends MtaSetup {
  /**
   * Put postscreen in front of smtpd with its greet pause and a multi-line
   * pregreet banner, and its deep protocol tests (pipelining, non-SMTP
   * command, bare newline) enforced.
   */
  postscreen?: boolean;
}

/** Seconds postscreen waits before the final 220 (its minimum sensible value; the default is 6 s). */
export const POSTSCREEN_GREET_WAIT_S = 2;

export function postfixVersion(): string {
  requireBinary(POSTFIX_BINARY, 'Postfix');
  return `Postfix ${execFileSync(POSTCONF, ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim()}`;
}

export async function startPostfix(setup: PostfixSetup): Promise<MtaInstance> {
  requireBinary(POSTFIX_BINARY, 'Postfix');
  requireRoot();
  const software = postfixVersion();
  const dir = makeWorkDir('postfix');
  const conf = join(dir, 'conf');
  const data = join(dir, 'data');
  const logFile = join(dir, 'maillog');
  mkdirSync(conf);
  mkdirSync(join(dir, 'queue'));
  mkdirSync(data);
  // The master takes its lock in data_directory as the postfix user.
  const postfixUid = Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }));
  chownSync(data, postfixUid, -1);
  writeFileSync(join(conf, 'cert.pem'), setup.tls.cert);
  writeFileSync(join(conf, 'key.pem'), setup.tls.key, { mode: 0o600 });

  const port = await freePort(setup.host);
  writeFileSync(join(conf, 'main.cf'), mainCf(setup, dir));
  writeFileSync(join(conf, 'master.cf'), masterCf(setup, port));
  try {
    const binds = setup.tuning?.noLoopbackName ? [hostsWithoutLoopbackName(dir)] : [];
    runIsolated(dir, [POSTFIX_BINARY, '-c', conf, 'start'], binds);
    await waitFor(`Postfix on ${setup.host}:${port}`, () => isListening(setup.host, port));
  } catch (err) {
    await stopPostfix(conf, dir);
    throw new Error(`${(err as Error).message}\n--- ${logFile} ---\n${safeRead(logFile)}`, { cause: err });
  }
  return {
    software,
    host: setup.host,
    port,
    logFile,
    stop: () => stopPostfix(conf, dir),
  };
}

async function stopPostfix(conf: string, dir: string): Promise<void> {
  const pidFile = join(dir, 'queue', 'pid', 'master.pid');
  const pid = Number(safeRead(pidFile).trim());
  try {
    execFileSync(POSTFIX_BINARY, ['-c', conf, 'stop'], { stdio: 'ignore' });
  } catch {
    // Not running (it failed to start): nothing to stop.
  }
  if (pid > 0) await waitFor(`the Postfix master (pid ${pid}) to exit`, () => !processAlive(pid));
  removeWorkDir(dir);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** main.cf for one policy; everything not named keeps Postfix's default. */
function mainCf(setup: PostfixSetup, dir: string): string {
  const { domain, mxName, policy } = setup;
  const lines = [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    // maillog_file must start with one of these prefixes (default /var, /dev/stdout).
    `maillog_file_prefixes = ${dir}`,
    `maillog_file = ${dir}/maillog`,
    `myhostname = ${mxName}`,
    `mydomain = ${domain}`,
    'myorigin = $mydomain',
    // The tested domain is local, so postmaster@domain is Postfix's own (RFC 5321 §4.5.1).
    `mydestination = ${[domain, ...(setup.tuning?.localDomains ?? [])].join(', ')}`,
    'alias_maps = inline:{ {postmaster = root} }',
    'alias_database =',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    // The checker connects from 127.0.0.1: trusted only when the policy is an open relay.
    `mynetworks = ${policy === 'open_relay' ? `${CHECKER_SOURCE_ADDRESS}/32` : UNRELATED_TRUSTED_NETWORK}`,
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    // No lookups of the client's name: nothing leaves loopback.
    'smtpd_peername_lookup = no',
    `smtpd_tls_security_level = ${policy === 'no_starttls' ? 'none' : 'may'}`,
    `smtpd_tls_cert_file = ${dir}/conf/cert.pem`,
    `smtpd_tls_key_file = ${dir}/conf/key.pem`,
    ...policyLines(policy, domain),
    ...(setup.postscreen ? postscreenLines() : []),
    ...(setup.tuning?.main ?? []),
  ];
  return `${lines.join('\n')}\n`;
}

function policyLines(policy: MtaPolicy, domain: string): string[] {
  switch (policy) {
    case 'auth_before_tls':
      // Cyrus SASL (libsasl2-modules) offers its mechanisms; smtpd_tls_auth_only = no is the mistake under test.
      return ['smtpd_sasl_auth_enable = yes', 'smtpd_sasl_type = cyrus', 'smtpd_tls_auth_only = no'];
    case 'auth_challenge_before_tls':
      // noplaintext drops PLAIN and LOGIN: Cyrus then offers only the challenge-response mechanisms.
      return [
        'smtpd_sasl_auth_enable = yes',
        'smtpd_sasl_type = cyrus',
        'smtpd_tls_auth_only = no',
        'smtpd_sasl_security_options = noanonymous, noplaintext',
      ];
    case 'null_sender_refused':
      // smtpd_null_access_lookup_key (<>) is the null sender's key in access maps.
      return ['smtpd_sender_restrictions = check_sender_access inline:{ {<> = 550 5.7.1 Null sender refused} }'];
    case 'postmaster_refused':
      return [
        `smtpd_recipient_restrictions = check_recipient_access inline:{ {postmaster@${domain} = REJECT Postmaster does not take mail here} }`,
      ];
    case 'greylisting':
      // Where Postgrey's check_policy_service sits: after relay control, for the domain's recipients.
      return [
        `smtpd_recipient_restrictions = check_recipient_access inline:{ {${domain} = 450 4.2.0 ${GREYLIST_TEXT}} }`,
      ];
    case 'healthy':
    case 'open_relay':
    case 'no_starttls':
    case 'weak_certificate':
      return [];
  }
}

/** postscreen with every test that could catch a client that talks early or pipelines unasked. */
function postscreenLines(): string[] {
  return [
    `postscreen_greet_wait = ${POSTSCREEN_GREET_WAIT_S}s`,
    // The pregreet "220-" line, then the final "220 " after the wait: a multi-line greeting.
    'postscreen_greet_banner = $smtpd_banner',
    'postscreen_greet_action = enforce',
    'postscreen_pipelining_enable = yes',
    'postscreen_pipelining_action = enforce',
    'postscreen_non_smtp_command_enable = yes',
    'postscreen_non_smtp_command_action = enforce',
    'postscreen_bare_newline_enable = yes',
    'postscreen_bare_newline_action = enforce',
    // The checker is not in mynetworks, so postscreen_access_list (permit_mynetworks) does not wave it through.
  ];
}

/** master.cf: the listener on the test address and port, and the daemons behind it, none chrooted. */
function masterCf(setup: PostfixSetup, port: number): string {
  const listener = setup.postscreen
    ? [
        `${setup.host}:${port} inet n - n - 1 postscreen`,
        'smtpd     pass  -       -       n       -       -       smtpd',
        'tlsproxy  unix  -       -       n       -       0       tlsproxy',
        'dnsblog   unix  -       -       n       -       0       dnsblog',
      ]
    : [`${setup.host}:${port} inet n - n - - smtpd`];
  return `${[
    ...listener,
    'cleanup   unix  n       -       n       -       0       cleanup',
    'qmgr      unix  n       -       n       300     1       qmgr',
    'tlsmgr    unix  -       -       n       1000?   1       tlsmgr',
    'rewrite   unix  -       -       n       -       -       trivial-rewrite',
    'bounce    unix  -       -       n       -       0       bounce',
    'defer     unix  -       -       n       -       0       bounce',
    'trace     unix  -       -       n       -       0       bounce',
    'verify    unix  -       -       n       -       1       verify',
    'proxymap  unix  -       -       n       -       -       proxymap',
    'anvil     unix  -       -       n       -       1       anvil',
    'scache    unix  -       -       n       -       1       scache',
    'error     unix  -       -       n       -       -       error',
    'postlog   unix-dgram n  -       n       -       1       postlogd',
  ].join('\n')}\n`;
}
