/**
 * The resolver is named, and never mistaken for the domain: the in-process
 * DNS server plays a working resolver, one that denies or refuses
 * everything (the root zone included), one that never answers, and one
 * whose only failure is the domain's own (SERVFAIL for it alone). No SMTP:
 * these domains never get as far as an endpoint.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { renderReport } from '../../src/presentation/html/render-report.js';
import { verdictStatus } from '../../src/presentation/view-model.js';
import { Status } from '../../src/model/status.js';
import { findings, runCheck } from './harness.js';

/** Port 9 (discard) on loopback: nothing to probe, nothing is dialled (these domains have no endpoint). */
const NO_SMTP = 9;

let dns: DnsServer;

before(async () => {
  dns = await startDnsServer([
    { name: 'mx.elsewhere.test', type: 'A', address: '127.0.0.9' },
    { name: 'broken.test', fault: 'servfail' },
  ]);
});
afterEach(() => dns.failAll(null));
after(async () => {
  await dns.close();
});

/** The MX findings, without the "no target to check" consequence mx_sanity adds. */
const mxFindings = (states: Parameters<typeof findings>[0]) =>
  findings(states).filter((f) => f.includes('smtp.mx.') && !f.includes('.untested'));

test('the observation names the resolver every lookup went to, and the reports show it', async () => {
  const { observation, states } = await runCheck(dns, NO_SMTP, { domain: 'missing.test' });
  assert.deepEqual(observation.dns.resolver, { servers: [dns.address], source: 'setting' });
  assert.match(
    // The DNS facts are the evidence: --verbose.
    renderText(observation, states, { color: false, verbose: true }),
    new RegExp(`resolver ${dns.address} \\(from the resolver setting\\)`),
  );
  assert.match(
    renderReport(observation, { states }),
    new RegExp(`Resolver: <span class="r-mono">${dns.address} \\(from the resolver setting\\)`),
  );
});

test('an NXDOMAIN from a resolver that answers the root and the TLD: the domain does not exist, as before', async () => {
  const { observation, states } = await runCheck(dns, NO_SMTP, { domain: 'missing.test' });
  assert.deepEqual(mxFindings(states), ['CRIT smtp.mx.none missing.test']);
  assert.deepEqual(observation.dns.resolver_check, {
    root: { name: '.', rrtype: 'SOA', answered: true, error: null },
    tld: { name: 'test', rrtype: 'SOA', answered: true, error: null },
    conclusion: 'domain',
  });
  assert.match(
    states.find((s) => s.code === 'smtp.mx.none')!.message,
    /NXDOMAIN from the resolver .* which answers for the root zone and for \.test/,
  );
});

test('an NXDOMAIN under a top-level domain that does not exist is named as a typo', async () => {
  const { observation, states } = await runCheck(dns, NO_SMTP, { domain: 'example.cmo' });
  assert.deepEqual(mxFindings(states), ['CRIT smtp.mx.tld_missing example.cmo']);
  assert.equal(observation.dns.resolver_check?.conclusion, 'tld_missing');
  const state = states.find((s) => s.code === 'smtp.mx.tld_missing')!;
  assert.match(state.message, /the top-level domain \.cmo does not exist \(a typo\?\)/);
});

test('a resolver that denies everything, the root included, is blamed instead of the domain', async () => {
  dns.failAll('nxdomain');
  const { observation, states } = await runCheck(dns, NO_SMTP, { domain: 'example.test' });
  assert.deepEqual(mxFindings(states), ['UNKNOWN smtp.mx.resolver_failed example.test']);
  assert.equal(observation.dns.mx_error?.code, 'NXDOMAIN');
  assert.deepEqual(observation.dns.resolver_check?.root.error?.code, 'NXDOMAIN');
  assert.equal(observation.dns.resolver_check?.tld, null, 'no TLD question once the root fails');
  const state = states.find((s) => s.code === 'smtp.mx.resolver_failed')!;
  assert.match(
    state.message,
    new RegExp(`the resolver ${dns.address} \\(from the resolver setting\\) answered NXDOMAIN`),
  );
  assert.match(state.message, /fails for the root zone \(\.\) too/);
  assert.doesNotMatch(state.message, /does not exist/);
  assert.match(String(state.meta?.['fix']), /Check this machine's DNS resolver .* --resolver/);
  assert.equal(verdictStatus(observation, states), Status.UNKNOWN);
  assert.match(
    renderText(observation, states, { color: false }),
    /^UNKNOWN example\.test could not be tested: the DNS resolver/,
  );
});

test("a resolver that refuses, or never answers, is named with a local fix, not the domain's name servers", async () => {
  dns.failAll('refused');
  const refused = await runCheck(dns, NO_SMTP, { domain: 'example.test' });
  assert.deepEqual(mxFindings(refused.states), ['UNKNOWN smtp.mx.resolver_failed example.test']);
  assert.match(
    refused.states.find((s) => s.code === 'smtp.mx.resolver_failed')!.message,
    /did not answer the MX question: REFUSED/,
  );

  dns.failAll('timeout');
  const quick = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 200, tries: 1 });
  const silent = await runCheck(dns, NO_SMTP, { domain: 'example.test' }, { dns: quick });
  assert.deepEqual(mxFindings(silent.states), ['UNKNOWN smtp.mx.resolver_failed example.test']);
  assert.equal(silent.observation.dns.resolver_check?.root.error?.code, 'TIMEOUT');
  assert.doesNotMatch(silent.states.find((s) => s.code === 'smtp.mx.resolver_failed')!.message, /name servers/);
});

test("a SERVFAIL for the domain alone, from a resolver that answers the root, is the domain's DNS", async () => {
  const { observation, states } = await runCheck(dns, NO_SMTP, { domain: 'broken.test' });
  assert.deepEqual(mxFindings(states), ['UNKNOWN smtp.mx.lookup_failed broken.test']);
  assert.equal(observation.dns.resolver_check?.conclusion, 'domain');
  assert.match(
    states.find((s) => s.code === 'smtp.mx.lookup_failed')!.message,
    /answers for the root zone: the domain's name servers \(or its DNSSEC\)/,
  );
});

test("SERVFAIL everywhere, the root included, is the resolver's", async () => {
  dns.failAll('servfail');
  const { states } = await runCheck(dns, NO_SMTP, { domain: 'broken.test' });
  assert.deepEqual(mxFindings(states), ['UNKNOWN smtp.mx.resolver_failed broken.test']);
});

test('the resolver check stays off the common path: a domain that answers asks no SOA', async () => {
  dns.set({ name: 'fine.test', type: 'MX', priority: 10, exchange: 'mx.elsewhere.test' });
  const before = dns.queries.length;
  const { observation } = await runCheck(dns, NO_SMTP, { domain: 'fine.test', timeout: 1 });
  assert.equal(observation.dns.resolver_check, null);
  assert.ok(!dns.queries.slice(before).some((q) => q.type === 'SOA'), 'no SOA question');
});
