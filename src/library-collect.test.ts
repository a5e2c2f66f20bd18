/**
 * The library's collect() and collectMany() still take the host's
 * enabledRules, and a disabled transaction rule still means its probe never
 * reaches the wire: checked against a scripted SMTP peer and the in-process
 * DNS server on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type DnsServer } from '../test/peers/dns-server.js';
import { mailDomainRecords } from '../test/peers/dns-records.js';
import { runDialogue, startScriptedServer, type ScriptedServer } from '../test/peers/scripted-smtp.js';
import { parseOptions } from './config/options.js';
import { parseResolver } from './config/settings.js';
import { planTransactions } from './collect/smtp/transactions.js';
import { RULES } from './rules/index.js';
import { applyEnabledRules, collect, collectMany } from './library-collect.js';
import type { Observation } from './model/observation.js';

const HOST = '127.0.0.1';
const DOMAIN = 'library.test';
const MX = `mx.${DOMAIN}`;
/** The budget per endpoint: a plain dialogue on loopback takes milliseconds. */
const TIMEOUT_S = 5;

let dns: DnsServer;
let peer: ScriptedServer;

before(async () => {
  peer = await startScriptedServer({
    host: HOST,
    script: (conn) => runDialogue(conn, { hostname: MX, extensions: ['PIPELINING'] }),
  });
  dns = await startDnsServer(mailDomainRecords(DOMAIN, [{ name: MX, addresses: [HOST] }]));
});
after(async () => {
  await peer.close();
  await dns.close();
});

// No egress check: tests never dial outside loopback.
const settings = () => ({ resolver: parseResolver(dns.address), port: peer.port, egressCanary: [] });

/** The recipients of the probes the peer saw on its latest connection. */
function recipientsSeen(): string[] {
  const log = peer.connections[peer.connections.length - 1]!;
  return log.commands.filter((c) => c.startsWith('RCPT TO:'));
}

const outcomes = (obs: Observation) => obs.endpoints[0]!.transactions.map((t) => `${t.kind}:${t.outcome}`);

describe('collect() from the library entry', () => {
  it('does not send the probe of a rule mapped to false, and records it as switched off', async () => {
    const obs = await collect(
      { domain: DOMAIN, timeout: TIMEOUT_S },
      { ...settings(), enabledRules: { 'smtp.open_relay': false, 'smtp.tls_quality': false } },
    );
    // The null-sender transaction to postmaster@ was accepted: it answers the postmaster probe too.
    assert.deepEqual(recipientsSeen(), [`RCPT TO:<postmaster@${DOMAIN}>`]);
    assert.deepEqual(outcomes(obs), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:skipped']);
    assert.equal(obs.endpoints[0]!.transactions[2]!.note, 'switched off by option test_open_relay');
    assert.equal(obs.options.test_open_relay, false);
  });

  it('answers every probe when every rule is enabled, in as few transactions as that takes', async () => {
    const obs = await collect(
      { domain: DOMAIN, timeout: TIMEOUT_S },
      { ...settings(), enabledRules: { 'smtp.open_relay': true } },
    );
    assert.equal(recipientsSeen().length, 2, 'null sender (answering postmaster too), then the relay probe');
    assert.deepEqual(outcomes(obs), ['null_sender:accepted', 'postmaster:accepted', 'open_relay:accepted']);
  });

  it('skips the probes of disabled rules and those given as skipProbes together', async () => {
    const obs = await collect(
      { domain: DOMAIN, timeout: TIMEOUT_S },
      { ...settings(), enabledRules: { 'smtp.postmaster': false }, skipProbes: ['null_sender'] },
    );
    assert.deepEqual(recipientsSeen(), ['RCPT TO:<postmaster@example.com>']);
    assert.deepEqual(outcomes(obs), ['null_sender:skipped', 'postmaster:skipped', 'open_relay:accepted']);
  });
});

describe('collectMany() from the library entry', () => {
  it('does not send the probe of a rule mapped to false for any domain', async () => {
    const [obs] = await collectMany([DOMAIN], {
      ...settings(),
      options: { timeout: TIMEOUT_S },
      enabledRules: { 'smtp.null_sender': false },
    });
    assert.deepEqual(outcomes(obs!), ['null_sender:skipped', 'postmaster:accepted', 'open_relay:accepted']);
    assert.ok(!peer.connections[peer.connections.length - 1]!.commands.includes('MAIL FROM:<>'));
  });
});

describe('applyEnabledRules()', () => {
  it('switches off the options of the probes only disabled rules need', () => {
    const options = parseOptions({ domain: DOMAIN });
    const out = applyEnabledRules(options, { 'smtp.postmaster': false, 'smtp.open_relay': true });
    assert.deepEqual([out.test_null_sender, out.test_postmaster, out.test_open_relay], [true, false, true]);
    assert.deepEqual(applyEnabledRules(options), options);
  });
});

describe('the rules and the collector agree on the probes', () => {
  it('has every probe the collector plans declared by exactly one rule, so any of them can be skipped', () => {
    const planned = planTransactions(parseOptions({ domain: DOMAIN })).map((p) => p.kind);
    for (const kind of planned) {
      const owners = RULES.filter((r) => r.probes?.includes(kind)).map((r) => r.name);
      assert.equal(owners.length, 1, `probe ${kind} is declared by ${owners.length} rules: ${owners.join(', ')}`);
    }
    const declared = RULES.flatMap((r) => r.probes ?? []);
    assert.deepEqual([...declared].sort(), [...planned].sort());
  });
});
