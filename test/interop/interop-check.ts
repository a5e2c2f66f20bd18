/**
 * One interop run: publish the domain (MX → the MTA's address, with PTR) in
 * the in-process DNS server, start the MTA for one policy, run the real
 * pipeline against it (runCheck: collect, schema check, evaluate), then stop
 * it. On a failed assertion the tail of the MTA's own log is printed.
 */
import { leafCertificate } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import type { DnsServer } from '../peers/dns-server.js';
import { runCheck, type CheckResult } from '../integration/harness.js';
import type { Reply, Transaction, TransactionKind } from '../../src/observation.js';
import type { MtaInstance, MtaPolicy, MtaSetup } from './mta-instance.js';
import { tail } from './mta-process.js';

export interface InteropContext extends CheckResult {
  mta: MtaInstance;
  setup: MtaSetup;
  /** `host:port`, the endpoint states' subject. */
  subject: string;
  /** Runs the checker again against the same running MTA. */
  checkAgain(): Promise<CheckResult>;
}

/** Per-endpoint budget: a loaded machine and postscreen's greet pause both fit with room to spare. */
const CHECK_TIMEOUT_S = 15;

/**
 * Starts the MTA for `policy` on `host`, hands the running check to `body`,
 * and always stops the MTA. The certificate is self-signed for the MX name
 * (RSA: OpenSMTPD's privilege-separated signer only handles RSA keys) and
 * trusted by the check, so TLS findings come from the MTA, not the test PKI.
 */
export async function withMta<T>(
  dns: DnsServer,
  start: (setup: MtaSetup) => Promise<MtaInstance>,
  prefix: string,
  host: string,
  policy: MtaPolicy,
  body: (ctx: InteropContext) => Promise<T>,
): Promise<T> {
  const domain = `${prefix}-${policy.replace(/_/g, '-')}.test`;
  const mxName = `mx.${domain}`;
  const tls = leafCertificate(mxName, { keyType: 'rsa', selfSigned: true });
  dns.set(...mailDomainRecords(domain, [{ name: mxName, addresses: [host] }]));
  const setup: MtaSetup = { host, domain, mxName, policy, tls };
  const mta = await start(setup);
  const check = () => runCheck(dns, mta.port, { domain, timeout: CHECK_TIMEOUT_S }, { trustStore: [tls.cert] });
  try {
    const result = await check();
    return await body({ ...result, mta, setup, subject: `${host}:${mta.port}`, checkAgain: check });
  } catch (err) {
    process.stderr.write(`\n--- ${mta.software} (${policy}) log tail, ${mta.logFile} ---\n${tail(mta.logFile)}\n---\n`);
    throw err;
  } finally {
    await mta.stop();
  }
}

/** `"CODE first line"` of a reply, the way swaks prints what the server said. */
export function replyLine(reply: Reply | null): string | null {
  return reply ? reply.lines[0] ?? null : null;
}

/** The MAIL and RCPT answers of each transaction, to compare with what swaks showed. */
export function transactionReplies(transactions: Transaction[]): Record<TransactionKind, { mail: string | null; rcpt: string | null }> {
  const out = {} as Record<TransactionKind, { mail: string | null; rcpt: string | null }>;
  for (const t of transactions) out[t.kind] = { mail: replyLine(t.mail), rcpt: replyLine(t.rcpt) };
  return out;
}
