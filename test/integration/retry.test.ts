/**
 * What the checker itself causes is retried, not reported. One server
 * reached under two MX names (two loopback addresses) that takes one
 * connection at a time, as Exim with smtp_accept_max = 1 does: the
 * parallel probes trip it, it answers 421 (or drops, or refuses) the
 * second, and a sender would simply try again. Byte-exact scripted peers
 * share one connection count across both addresses. Loopback
 * 127.0.0.111–117 belongs to this file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../peers/dns-server.js';
import { mailDomainRecords } from '../peers/dns-records.js';
import { listen } from '../peers/listen.js';
import { createScriptedServer, reply, runDialogue } from '../peers/scripted-smtp.js';
import { healthyDialogue, oneAtATime } from '../peers/one-at-a-time.js';
import { RETRY_BACKOFF_MS } from '../../src/model/limits.js';
import { renderText } from '../../src/presentation/text/render-text.js';
import { renderReport } from '../../src/presentation/html/render-report.js';
import { findings, runCheck } from './harness.js';

const TOO_MANY = reply(421, 'Too many concurrent SMTP connections; please try again later.');

let dns: DnsServer;
before(async () => {
  dns = await startDnsServer([]);
});
after(async () => {
  await dns.close();
});

function publish(domain: string, hosts: string[]): string[] {
  const names = hosts.map((_h, i) => `mx${i + 1}.${domain}`);
  dns.set(
    ...mailDomainRecords(
      domain,
      hosts.map((h, i) => ({ name: names[i]!, addresses: [h] })),
    ),
  );
  return names;
}

/** The findings about greetings and reachability: what a busy server used to cost. */
const connectionFindings = (states: Parameters<typeof findings>[0]) =>
  findings(states).filter((f) => /banner|unreachable|ehlo/.test(f) && !f.includes('.untested'));

test('a 421 at the greeting caused by our own parallel probe is retried once, alone, and not reported', async () => {
  const domain = 'busy421.test';
  const hosts = ['127.0.0.111', '127.0.0.112'];
  const names = publish(domain, hosts);
  const server = await oneAtATime(hosts, healthyDialogue([domain], names), (conn) => conn.send(TOO_MANY));
  try {
    const { observation, states } = await runCheck(dns, server.port, { domain });
    assert.deepEqual(connectionFindings(states), []);
    assert.deepEqual(server.greeted, ['220', 'busy', '220'], 'the second probe met the busy server, then the retry');
    const retried = observation.endpoints.filter((e) => e.retry !== null);
    assert.equal(retried.length, 1);
    const [e] = retried;
    assert.equal(e!.greeting?.code, 220, 'the record is the second attempt');
    assert.equal(e!.retry!.reason, 'greeting_421');
    assert.deepEqual(e!.retry!.first_greeting?.lines, [TOO_MANY.trimEnd()]);
    assert.ok(e!.retry!.delay_ms >= RETRY_BACKOFF_MS - 50, `backed off ${e!.retry!.delay_ms} ms`);
    assert.ok(observation.endpoints.every((x) => x.starttls.ok && x.transactions.every((t) => t.outcome !== 'error')));
    const text = renderText(observation, states, { color: false, verbose: true }).replace(/\s+/g, ' ');
    assert.match(
      text,
      /first try The first attempt \(.*\) got "421 Too many concurrent SMTP connections; please try again later\."/,
    );
    assert.match(renderReport(observation, { states }), /Tried again alone, \d+ ms later/);
  } finally {
    await server.close();
  }
});

test('a server that still answers 421 when tried alone is reported as temporary, naming both attempts', async () => {
  const domain = 'always421.test';
  const hosts = ['127.0.0.113'];
  const names = publish(domain, hosts);
  const server = await oneAtATime(hosts, healthyDialogue([domain], names), (conn) => conn.send(TOO_MANY), {
    busyFirst: Infinity,
  });
  try {
    const { observation, states } = await runCheck(dns, server.port, { domain });
    const subject = `${hosts[0]}:${server.port}`;
    assert.deepEqual(connectionFindings(states), [`WARN smtp.banner.tempfail ${subject}`]);
    const state = states.find((s) => s.code === 'smtp.banner.tempfail')!;
    assert.match(
      state.message,
      /greeted with a temporary refusal "421 Too many concurrent SMTP connections; please try again later\.", and again when tried alone 1\.\d s after the other endpoints/,
    );
    assert.match(state.message, /senders will try again later/);
    assert.deepEqual(server.greeted, ['busy', 'busy'], 'tried exactly twice');
    assert.equal(observation.endpoints[0]!.retry?.reason, 'greeting_421');
  } finally {
    await server.close();
  }
});

test('a connection dropped before any greeting while our other probe was connected is retried', async () => {
  const domain = 'dropped.test';
  const hosts = ['127.0.0.114', '127.0.0.115'];
  const names = publish(domain, hosts);
  const server = await oneAtATime(hosts, healthyDialogue([domain], names), (conn) => conn.end());
  try {
    const { observation, states } = await runCheck(dns, server.port, { domain });
    assert.deepEqual(connectionFindings(states), []);
    const retried = observation.endpoints.find((e) => e.retry !== null)!;
    assert.equal(retried.retry!.reason, 'closed_before_greeting');
    assert.equal(retried.retry!.first_greeting, null);
    assert.equal(retried.retry!.first_error?.phase, 'greeting');
  } finally {
    await server.close();
  }
});

test('a refused connection while our other probe was connected is retried; alone, a refusal stands', async () => {
  const domain = 'refusing-while-busy.test';
  const [busyHost, laterHost] = ['127.0.0.116', '127.0.0.117'];
  const names = publish(domain, [busyHost, laterHost]);
  // The second address listens only once the first connection is over: refused while it lasts.
  const later = createScriptedServer((conn) => runDialogue(conn, healthyDialogue([domain], names)));
  let port = 0;
  const first = createScriptedServer(async (conn) => {
    await runDialogue(conn, healthyDialogue([domain], names));
    if (!later.server.listening) await listen(later.server, laterHost, port);
  });
  port = await listen(first.server, busyHost, 0);
  try {
    const { observation, states } = await runCheck(dns, port, { domain });
    assert.deepEqual(connectionFindings(states), []);
    const retried = observation.endpoints.find((e) => e.address === laterHost)!;
    assert.equal(retried.retry?.reason, 'connect_refused');
    assert.equal(retried.retry?.first_error?.code, 'connect.refused');
    assert.equal(retried.connected, true);

    // Alone, nothing of ours was connected beside it: the refusal is the server's answer.
    const alone = 'refusing-alone.test';
    publish(alone, [laterHost]);
    await later.close();
    const single = await runCheck(dns, port, { domain: alone });
    assert.equal(single.observation.endpoints[0]!.retry, null);
    assert.deepEqual(connectionFindings(single.states), [
      `CRIT smtp.endpoint.unreachable ${laterHost}:${port}`,
      `CRIT smtp.all_unreachable ${alone}`,
    ]);
  } finally {
    await Promise.all([first.close(), later.close()]);
  }
});
