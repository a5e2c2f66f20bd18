/**
 * DNS posture end to end: the in-process DNS server publishes test zones
 * (null MX, CNAME'd and IP-literal targets, NXDOMAIN target, implicit MX,
 * PTRs that do and do not confirm, SERVFAIL), and a domain with several MX
 * hosts over IPv4 and IPv6 is probed in parallel on one port.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { scenarios } from '../peers/smtp-scenarios.js';
import { startOnSamePort } from '../peers/listen.js';
import { collectDnsFacts } from '../../src/collect/dns/posture.js';
import { createDnsClient } from '../../src/collect/dns/dns-client.js';
import { parseResolver } from '../../src/config/settings.js';
import { findings, problems, runCheck } from './harness.js';

let dns: DnsServer;

before(async () => {
  dns = await startDnsServer([]);
});
after(async () => {
  await dns.close();
});

const client = () => createDnsClient({ resolver: parseResolver(dns.address) });

test('null MX: recognised, nothing probed, endpoint rules collapse to INFO', async () => {
  dns.set({ name: 'nullmx.test', type: 'MX', priority: 0, exchange: '.' });
  const { observation, states } = await runCheck(dns, 9, { domain: 'nullmx.test' });
  assert.equal(observation.dns.null_mx, true);
  assert.deepEqual(observation.endpoints, []);
  assert.ok(findings(states).includes('INFO smtp.null_mx nullmx.test'));
  assert.ok(
    states.every((s) => s.status === 1 || s.status === 2),
    'only OK and INFO for a null MX',
  );
});

test('MX target that is a CNAME: flagged, still resolved and probed', async () => {
  dns.set(
    { name: 'cname.test', type: 'MX', priority: 10, exchange: 'mail.cname.test' },
    { name: 'mail.cname.test', type: 'CNAME', target: 'real.cname.test' },
    { name: 'real.cname.test', type: 'A', address: '127.0.0.60' },
  );
  const facts = await collectDnsFacts(client(), 'cname.test');
  assert.deepEqual(facts.mx[0]!.cname_chain, ['real.cname.test']);
  assert.deepEqual(facts.mx[0]!.ipv4, ['127.0.0.60']);
  const peer = await scenarios.healthy({
    host: '127.0.0.60',
    port: 0,
    domain: 'cname.test',
    mxName: 'mail.cname.test',
  });
  try {
    const { states, observation } = await runCheck(dns, peer.port, { domain: 'cname.test' });
    assert.ok(problems(states).includes('CRIT smtp.mx.cname mail.cname.test'));
    assert.equal(observation.endpoints[0]!.connected, true);
  } finally {
    await peer.close();
  }
});

test('MX target that is an IP literal, and one that does not exist', async () => {
  dns.set(
    { name: 'badmx.test', type: 'MX', priority: 10, exchange: '127.0.0.61' },
    { name: 'badmx.test', type: 'MX', priority: 20, exchange: 'gone.badmx.test' },
  );
  const { observation, states } = await runCheck(dns, 9, { domain: 'badmx.test' });
  const [literal, gone] = observation.dns.mx;
  assert.equal(literal!.ip_literal, true);
  assert.equal(gone!.errors[0]!.code, 'NXDOMAIN');
  assert.equal(gone!.errors[0]!.name, 'gone.badmx.test');
  assert.deepEqual(observation.endpoints, [], 'a literal MX is not probed');
  const dnsFindings = problems(states).filter((f) => f.includes('smtp.mx.'));
  assert.deepEqual(dnsFindings, ['CRIT smtp.mx.ip_literal 127.0.0.61', 'CRIT smtp.mx.unresolved gone.badmx.test']);
});

test('implicit MX: no MX record, the domain A is probed and warned about', async () => {
  dns.set({ name: 'implicit.test', type: 'A', address: '127.0.0.62' });
  const peer = await scenarios.healthy({
    host: '127.0.0.62',
    port: 0,
    domain: 'implicit.test',
    mxName: 'implicit.test',
  });
  try {
    const { observation, states } = await runCheck(dns, peer.port, { domain: 'implicit.test' });
    assert.equal(observation.dns.implicit_mx, true);
    assert.equal(observation.endpoints[0]!.address, '127.0.0.62');
    assert.ok(problems(states).includes('WARN smtp.mx.implicit implicit.test'));
  } finally {
    await peer.close();
  }
});

test('no MX and no address: smtp.mx.none; a domain that does not exist likewise', async () => {
  dns.set({ name: 'nomail.test', type: 'TXT', text: 'v=spf1 -all' });
  const empty = await runCheck(dns, 9, { domain: 'nomail.test' });
  assert.ok(problems(empty.states).includes('CRIT smtp.mx.none nomail.test'));
  const missing = await runCheck(dns, 9, { domain: 'does-not-exist.test' });
  assert.equal(missing.observation.dns.mx_error?.code, 'NXDOMAIN');
  assert.ok(problems(missing.states).includes('CRIT smtp.mx.none does-not-exist.test'));
});

test('SERVFAIL on the MX lookup is recorded with the failing name, and reported as could-not-decide', async () => {
  dns.set({ name: 'broken.test', fault: 'servfail' });
  const { observation, states } = await runCheck(dns, 9, { domain: 'broken.test' });
  assert.deepEqual(
    {
      name: observation.dns.mx_error?.name,
      rrtype: observation.dns.mx_error?.rrtype,
      code: observation.dns.mx_error?.code,
    },
    { name: 'broken.test', rrtype: 'MX', code: 'SERVFAIL' },
  );
  assert.ok(findings(states).includes('UNKNOWN smtp.mx.lookup_failed broken.test'));
});

test('three MX over IPv4 and IPv6 on one port, probed in parallel; a PTR that does not confirm', async () => {
  const domain = 'multi.test';
  dns.set(
    ...mailDomainRecords(domain, [
      { name: 'mx1.multi.test', addresses: ['127.0.0.70', '::1'], priority: 10 },
      { name: 'mx2.multi.test', addresses: ['127.0.0.71'], priority: 20, ptr: 'elsewhere.multi.test' },
      { name: 'mx3.multi.test', addresses: ['127.0.0.72'], priority: 30, ptr: false },
    ]),
    { name: 'elsewhere.multi.test', type: 'A', address: '127.0.0.99' },
  );
  const { port, peers } = await startOnSamePort([
    (p) => scenarios.healthy({ host: '127.0.0.70', port: p, domain, mxName: 'mx1.multi.test' }),
    (p) => scenarios.healthy({ host: '::1', port: p, domain, mxName: 'mx1.multi.test' }),
    (p) => scenarios.healthy({ host: '127.0.0.71', port: p, domain, mxName: 'mx2.multi.test' }),
    (p) => scenarios.silent({ host: '127.0.0.72', port: p, domain, mxName: 'mx3.multi.test' }),
  ]);
  try {
    const started = Date.now();
    const { observation, states } = await runCheck(dns, port, { domain, timeout: 2 });
    const elapsed = Date.now() - started;
    assert.deepEqual(
      observation.endpoints.map((e) => e.subject),
      [`127.0.0.70:${port}`, `[::1]:${port}`, `127.0.0.71:${port}`, `127.0.0.72:${port}`],
    );
    assert.deepEqual(problems(states), [
      `UNKNOWN smtp.banner.timeout 127.0.0.72:${port}`,
      `WARN smtp.fcrdns.mismatch 127.0.0.71:${port}`,
      `WARN smtp.ptr.missing 127.0.0.72:${port}`,
    ]);
    // The silent endpoint costs its own budget, not the others' results.
    assert.ok(observation.endpoints.slice(0, 3).every((e) => e.error === null && e.starttls.ok));
    assert.equal(observation.endpoints[1]!.reverse_dns.fcrdns, true, '::1 has a confirming PTR');
    // Parallel: the domain costs about one endpoint budget, not the sum.
    assert.ok(elapsed < 3500, `domain took ${elapsed} ms with a 2 s budget`);
    assert.ok(
      findings(states).every((f) => !f.includes('smtp.ipv6.')),
      'IPv6 is reachable',
    );
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
});

test('a DNS timeout on an MX target is recorded with the name that timed out', async () => {
  dns.set(
    { name: 'slowdns.test', type: 'MX', priority: 10, exchange: 'mx.slowdns.test' },
    { name: 'mx.slowdns.test', fault: 'timeout' },
  );
  const quick = createDnsClient({ resolver: parseResolver(dns.address), timeoutMs: 200, tries: 1 });
  const { observation, states } = await runCheck(dns, 9, { domain: 'slowdns.test' }, { dns: quick });
  const errors = observation.dns.mx[0]!.errors;
  assert.ok(
    errors.some((e) => e.name === 'mx.slowdns.test' && e.code === 'TIMEOUT'),
    JSON.stringify(errors),
  );
  assert.ok(problems(states).includes('CRIT smtp.mx.unresolved mx.slowdns.test'));
});
