/**
 * One interop run: publish the domain (MX → the MTA's address, with PTR) in
 * the in-process DNS server, start the MTA for one policy, run the real
 * pipeline against it (runCheck: collect, schema check, evaluate), then stop
 * it. On a failed assertion the tail of the MTA's own log is printed.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { leafCertificate } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { runCheck, type CheckResult } from '../integration/harness.js';
import type { EndpointProbe, Reply, TransactionKind } from '../../src/model/observation.js';
import type { MtaInstance, MtaPolicy, MtaSetup, MtaTuning } from './mta-instance.js';
import { INTEROP_DNS_HOST, type InteropMta } from './interop-mtas.js';
import { tail } from './mta-process.js';

export interface InteropContext extends CheckResult {
  mta: MtaInstance;
  setup: MtaSetup;
  /** `host:port`, the endpoint states' subject. */
  subject: string;
  /** Runs the checker again against the same running MTA. */
  checkAgain(): Promise<CheckResult>;
}

/** The DNS server of one test file: started before its tests, closed after them. */
export function interopDns(): () => DnsServer {
  let dns: DnsServer | undefined;
  before(async () => {
    dns = await startDnsServer([], { host: INTEROP_DNS_HOST });
  });
  after(async () => {
    await dns?.close();
  });
  return () => {
    if (!dns) throw new Error('the interop DNS server is not started yet');
    return dns;
  };
}

/** The weak certificate's key size: below the 2048 bits a sender at default security wants. */
const WEAK_RSA_BITS = 1024;

/** Per-endpoint budget: a loaded machine and postscreen's greet pause both fit with room to spare. */
export const CHECK_TIMEOUT_S = 15;

/** A configuration case on top of a policy: its own name (and so domain), the MTA's tuning, the check's options. */
export interface MtaVariant {
  /** Names the domain instead of the policy: `<prefix>-<name>.test`. */
  name?: string;
  tuning?: MtaTuning;
  /** Check options beside the domain (timeout, test_mail_from…). */
  options?: Record<string, unknown>;
}

/**
 * Starts the MTA for `policy` on `host`, hands the running check to `body`,
 * and always stops the MTA. The certificate is self-signed for the MX name
 * (RSA 2048, which every MTA here loads) and trusted by the check, so TLS
 * findings come from the MTA's TLS, not from the test PKI; `weak_certificate`
 * serves an RSA-1024 leaf signed with SHA-1 by the test CA, which the check
 * trusts instead.
 */
export async function withMta<T>(
  dns: DnsServer,
  mta: InteropMta,
  policy: MtaPolicy,
  body: (ctx: InteropContext) => Promise<T>,
  variant: MtaVariant = {},
): Promise<T> {
  const setup = {
    ...publishSetup(dns, mta, policy, variant.name),
    ...(variant.tuning ? { tuning: variant.tuning } : {}),
  };
  const instance = await mta.start(setup);
  const check = () =>
    runCheck(
      dns,
      instance.port,
      { domain: setup.domain, timeout: CHECK_TIMEOUT_S, ...variant.options },
      { trustStore: [setup.tls.ca] },
    );
  try {
    const result = await check();
    return await body({
      ...result,
      mta: instance,
      setup,
      subject: `${setup.host}:${instance.port}`,
      checkAgain: check,
    });
  } catch (err) {
    process.stderr.write(
      `\n--- ${instance.software} (${policy}) log tail, ${instance.logFile} ---\n${tail(instance.logFile)}\n---\n`,
    );
    throw err;
  } finally {
    await instance.stop();
  }
}

/**
 * The setup of one run, its domain published: `<prefix>-<policy>.test` with
 * MX `mx.<domain>` → the MTA's address, and a PTR back so FCrDNS holds.
 */
export function publishSetup(dns: DnsServer, mta: InteropMta, policy: MtaPolicy, name: string = policy): MtaSetup {
  const domain = `${mta.prefix}-${name.replace(/_/g, '-')}.test`;
  const mxName = `mx.${domain}`;
  const tls =
    policy === 'weak_certificate'
      ? leafCertificate(mxName, { keyType: 'rsa', rsaBits: WEAK_RSA_BITS, digest: 'sha1' })
      : leafCertificate(mxName, { keyType: 'rsa', selfSigned: true });
  dns.set(...mailDomainRecords(domain, [{ name: mxName, addresses: [mta.host] }]));
  return { host: mta.host, domain, mxName, policy, tls };
}

/**
 * What an operator sees with swaks of one endpoint's dialogue, taken from the
 * checker's observation, in the shape swaks-compare.ts prints for swaks
 * itself: whether TLS started, whether AUTH was offered before it, and the
 * first line of the replies to MAIL and RCPT of each transaction (swaks sends
 * no RCPT after a refused MAIL, so neither does this view).
 */
export interface SwaksView {
  tls: 'started' | 'failed' | 'none';
  authBeforeTls: boolean;
  /** `[MAIL reply, RCPT reply]` per transaction. */
  null_sender: [string | null, string | null];
  postmaster: [string | null, string | null];
  open_relay: [string | null, string | null];
}

export function swaksViewOf(endpoint: EndpointProbe): SwaksView {
  const replies = (kind: TransactionKind): [string | null, string | null] => {
    const t = endpoint.transactions.find((x) => x.kind === kind);
    if (!t) return [null, null];
    return [firstLine(t.mail), t.decided_at === 'mail' ? null : firstLine(t.rcpt)];
  };
  return {
    tls: endpoint.starttls.ok ? 'started' : endpoint.starttls.attempted ? 'failed' : 'none',
    authBeforeTls: endpoint.extensions?.keywords.includes('AUTH') ?? false,
    null_sender: replies('null_sender'),
    postmaster: replies('postmaster'),
    open_relay: replies('open_relay'),
  };
}

function firstLine(reply: Reply | null): string | null {
  return reply?.lines[0] ?? null;
}

/** The commands the checker sent, from its transcript: DATA must never be one of them. */
export function commandsSent(endpoint: EndpointProbe): string[] {
  return endpoint.transcript.filter((l) => l.dir === 'C').map((l) => l.text);
}

/**
 * What the checker did on the wire, whatever the verdicts: never DATA, and
 * the transactions pipelined exactly when the session's last EHLO offered
 * PIPELINING.
 */
export function assertPoliteDialogue(endpoint: EndpointProbe): void {
  assert.ok(!commandsSent(endpoint).includes('DATA'), 'DATA is never sent');
  const offered = (endpoint.extensions_tls ?? endpoint.extensions)?.keywords.includes('PIPELINING') ?? false;
  const ran = endpoint.transactions.some((t) => t.mail !== null);
  assert.equal(endpoint.pipelined, offered && ran, `pipelined ${endpoint.pipelined}, PIPELINING offered ${offered}`);
}

/**
 * The `weak_certificate` chain as the checker recorded it: the MTA's RSA-1024
 * leaf signed with SHA-1, under the test CA, which our own handshake (at
 * security level 0) calls trusted.
 */
export function assertWeakChainRecorded(endpoint: EndpointProbe): void {
  const tls = endpoint.starttls.tls;
  assert.ok(tls, 'TLS was established');
  assert.equal(tls.chain_trusted, true);
  assert.deepEqual(
    tls.chain.map((c) => [c.key_type, c.key_bits, c.signature_algorithm, c.self_signed]),
    [
      ['RSA', WEAK_RSA_BITS, 'ecdsa-with-SHA1', false],
      ['EC prime256v1', 256, 'ecdsa-with-SHA256', true],
    ],
  );
}
