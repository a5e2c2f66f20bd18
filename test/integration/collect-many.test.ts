/**
 * collectMany() end to end: domains sharing an MX share SMTP sessions, and
 * each still gets its own postmaster and relay answers, its own transcript
 * lines and a valid ordinary observation. Real peers on loopback: smtp-server
 * and the scripted server, DNS from the in-process server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectMany } from '../../src/collect/collect-many.js';
import { collect } from '../../src/collect/collect.js';
import { createConnectionGate } from '../../src/collect/connection-gate.js';
import { validateObservation } from '../../src/model/observation-schema.js';
import { evaluate } from '../../src/rules/index.js';
import { parseResolver } from '../../src/config/settings.js';
import type { Observation } from '../../src/model/observation.js';
import { testCa } from '../peers/certs.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { reply } from '../peers/scripted-dialogue.js';
import { startScriptedServer } from '../peers/scripted-smtp.js';
import { scenarios } from '../peers/smtp-scenarios.js';
import { findings } from './harness.js';

/** The bench's test slice of loopback: 127.0.0.235–238 (DNS on .235). */
const DNS_HOST = '127.0.0.235';
const MX_HOST = '127.0.0.237';
const OTHER_HOST = '127.0.0.238';

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer([], { host: DNS_HOST });
});
after(async () => {
  await dns.close();
});

function publish(domains: string[], mx: string, address: string): void {
  for (const domain of domains) dns.set(...mailDomainRecords(domain, [{ name: mx, addresses: [address] }]));
}

function settings(port: number) {
  // No egress check: tests never dial outside loopback.
  return {
    resolver: parseResolver(dns.address),
    port,
    trustStore: [testCa().cert],
    options: { timeout: 5 },
    egressCanary: [],
  };
}

function assertValid(obs: Observation): void {
  assert.deepEqual(
    validateObservation(JSON.parse(JSON.stringify(obs))).errors,
    [],
    `${obs.domain}: observation matches the schema`,
  );
}

test('domains sharing an MX share sessions, five at most, and each keeps its own postmaster and relay answers', async () => {
  const local = ['a.many.test', 'b.many.test', 'c.many.test', 'd.many.test', 'e.many.test', 'f.many.test'];
  // Published with the same MX, but the server does not receive mail for it: its postmaster is refused.
  const foreign = 'foreign.many.test';
  const domains = [...local.slice(0, 3), foreign, ...local.slice(3)];
  const peer = await scenarios.healthy({
    host: MX_HOST,
    port: 0,
    domain: local[0]!,
    localDomains: local.slice(1),
    mxName: 'mx.many.test',
  });
  publish(domains, 'mx.many.test', MX_HOST);
  const gate = createConnectionGate({ perAddress: 1 });
  try {
    const observations = await collectMany(domains, { ...settings(peer.port), gate });
    assert.deepEqual(
      observations.map((o) => o.domain),
      domains,
      'one observation per domain, in order',
    );
    assert.equal(peer.connections.length, 2, 'seven domains, five per session: two sessions');
    assert.equal(gate.stats().peakPerAddress, 1);
    assert.equal(peer.sentData, false);
    for (const obs of observations) {
      assertValid(obs);
      const ep = obs.endpoints[0]!;
      assert.equal(obs.endpoints.length, 1);
      assert.equal(ep.starttls.ok, true);
      assert.equal(ep.pipelined, true);
      assert.equal(ep.error, null);
      const postmaster = ep.transactions.find((t) => t.kind === 'postmaster')!;
      assert.equal(postmaster.rcpt_to, `postmaster@${obs.domain}`);
      assert.deepEqual(
        ep.transactions.map((t) => `${t.kind}:${t.outcome}`),
        obs.domain === foreign
          ? ['null_sender:rejected', 'postmaster:rejected', 'open_relay:rejected']
          : ['null_sender:accepted', 'postmaster:accepted', 'open_relay:rejected'],
        obs.domain,
      );
      // Its transcript carries its own recipients and replies, never another domain's.
      const others = domains.filter((d) => d !== obs.domain);
      assert.ok(ep.transcript.some((l) => l.dir === 'C' && l.text === `RCPT TO:<postmaster@${obs.domain}>`));
      assert.ok(
        !ep.transcript.some((l) => others.some((d) => l.text.includes(d))),
        `${obs.domain}: no other domain in its transcript`,
      );
      // Greeting, EHLO, STARTTLS, EHLO and QUIT are shared; MAIL, RCPT and RSET of each transaction it sent
      // are its own: two (the null sender answering for postmaster), three where the null sender was refused.
      const sent = ep.transactions.filter((t) => t.outcome !== 'skipped' && t.answered_by === null).length;
      assert.equal(sent, obs.domain === foreign ? 3 : 2, obs.domain);
      assert.equal(ep.transcript.filter((l) => l.dir === 'S' && /^\d{3}(?: |$)/.test(l.text)).length, 5 + 3 * sent);
      assert.ok(
        ep.transcript.some((l) => l.dir === 'C' && l.text === 'QUIT'),
        'the shared QUIT is in every transcript',
      );
    }
    const foreignStates = findings(evaluate(observations[3]!));
    assert.ok(
      foreignStates.some((f) => f.startsWith('CRIT smtp.postmaster.rejected')),
      foreignStates.join('\n'),
    );
    assert.ok(!findings(evaluate(observations[0]!)).some((f) => f.startsWith('CRIT')));
  } finally {
    await peer.close();
  }
});

test('collectMany() gives each domain the transactions collect() gives it alone', async () => {
  const domains = ['one.same.test', 'two.same.test'];
  const peer = await scenarios.healthy({
    host: MX_HOST,
    port: 0,
    domain: domains[0]!,
    localDomains: [domains[1]!],
    mxName: 'mx.same.test',
  });
  publish(domains, 'mx.same.test', MX_HOST);
  try {
    const many = await collectMany(domains, settings(peer.port));
    const alone = await Promise.all(
      domains.map((domain) => collect({ domain, timeout: 5 }, { ...settings(peer.port) })),
    );
    const summary = (o: Observation) =>
      o.endpoints.map((e) =>
        e.transactions.map((t) => [
          t.kind,
          t.mail_from,
          t.rcpt_to,
          t.outcome,
          t.mail?.code,
          t.rcpt?.code,
          t.rset?.code,
        ]),
      );
    assert.deepEqual(many.map(summary), alone.map(summary));
    assert.deepEqual(
      many.map((o) => o.dns),
      alone.map((o) => o.dns),
    );
  } finally {
    await peer.close();
  }
});

test('without PIPELINING a shared session goes in lock-step, RSET between transactions, QUIT ending the last', async () => {
  const domains = ['x.strict.test', 'y.strict.test', 'z.strict.test'];
  const peer = await scenarios.noPipelining({
    host: MX_HOST,
    port: 0,
    domain: domains[0]!,
    localDomains: domains.slice(1),
    mxName: 'mx.strict.test',
  });
  publish(domains, 'mx.strict.test', MX_HOST);
  try {
    const observations = await collectMany(domains, settings(peer.port));
    assert.equal(peer.connections.length, 1);
    assert.equal(peer.pipelined, false, 'the strict server saw no pipelining');
    assert.equal(
      peer.commands.filter((c) => c === 'RSET').length,
      5,
      'six transactions (the null sender answering for postmaster), the last ended by QUIT',
    );
    for (const obs of observations) {
      assertValid(obs);
      assert.deepEqual(
        obs.endpoints[0]!.transactions.map((t) => t.outcome),
        ['accepted', 'accepted', 'rejected'],
        obs.domain,
      );
      assert.equal(obs.endpoints[0]!.transactions[1]!.rcpt_to, `postmaster@${obs.domain}`);
    }
  } finally {
    await peer.close();
  }
});

test('a session cut during the transactions costs no domain its answers: the rest are probed alone', async () => {
  const domains = ['p.cut.test', 'q.cut.test', 'r.cut.test'];
  /** The server hangs up with 421 on the fourth recipient of a connection, as one past its error limit does. */
  const RCPTS_BEFORE_CUT = 3;
  const peer = await startScriptedServer({
    host: OTHER_HOST,
    port: 0,
    script: async (conn) => {
      let rcpts = 0;
      await conn.send(reply(220, 'mx.cut.test ESMTP'));
      for (let line = await conn.readLine(); line !== null; line = await conn.readLine()) {
        const verb = line.split(' ', 1)[0]!.toUpperCase();
        if (verb === 'EHLO') await conn.send(reply(250, 'mx.cut.test', 'PIPELINING', '8BITMIME'));
        else if (verb === 'MAIL' || verb === 'RSET') await conn.send(reply(250, '2.0.0 Ok'));
        else if (verb === 'QUIT') return void (await conn.send(reply(221, '2.0.0 Bye')));
        else if (verb === 'RCPT' && ++rcpts > RCPTS_BEFORE_CUT)
          return void (await conn.send(reply(421, '4.7.0 mx.cut.test Error: too many errors')));
        else if (verb === 'RCPT')
          await conn.send(
            line.includes('.cut.test>') ? reply(250, '2.1.5 Ok') : reply(554, '5.7.1 Relay access denied'),
          );
        else await conn.send(reply(502, '5.5.2 Error: command not recognized'));
      }
    },
  });
  publish(domains, 'mx.cut.test', OTHER_HOST);
  try {
    const observations = await collectMany(domains, settings(peer.port));
    for (const obs of observations) {
      assertValid(obs);
      assert.deepEqual(
        obs.endpoints[0]!.transactions.map((t) => t.outcome),
        ['accepted', 'accepted', 'rejected'],
        JSON.stringify(obs.endpoints[0]!.transcript),
      );
    }
    assert.equal(observations[0]!.endpoints[0]!.error, null, 'the first domain had all its answers before the cut');
    assert.ok(peer.connections.length >= 3, `the session, then retries alone (${peer.connections.length} connections)`);
  } finally {
    await peer.close();
  }
});
