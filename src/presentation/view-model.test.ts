import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  egressBlockedObservation,
  endpoint,
  mixedObservation,
  noStartTlsObservation,
  nullMxObservation,
  observation,
  openRelayObservation,
  relatedTls,
  reply,
  unreachableEndpoint,
} from '../../test/fixtures/observations.js';
import { evaluate } from '../rules/index.js';
import { Status, type CheckState } from '../model/status.js';
import type { Observation } from '../model/observation.js';
import { buildReportView, verdictStatus } from './view-model.js';

const state = (status: CheckState['status'], subject: string, code: string, fix?: string): CheckState => ({
  status,
  subject,
  code,
  rule: code.split('.').slice(0, 2).join('.'),
  message: `${code} on ${subject}`,
  ...(fix ? { meta: { fix } } : {}),
});

/** The model of `obs` with the states the rules give it (the model itself never runs them). */
function view(obs: Observation, related?: Record<string, unknown[]>) {
  return buildReportView(obs, { states: evaluate(obs, related ? { related } : {}), related });
}

describe('buildReportView(): what the checker could not test', () => {
  it('says "could not be tested", UNKNOWN, when port 25 is blocked here, whatever warning DNS adds', () => {
    const obs = egressBlockedObservation();
    obs.endpoints[0]!.reverse_dns = { ptr: [], ptr_error: null, forward: [], fcrdns: false };
    const states = evaluate(obs);
    assert.ok(
      states.some((s) => s.status === Status.WARN),
      'a reverse-DNS warning stands',
    );
    const vm = buildReportView(obs, { states });
    assert.equal(vm.verdict.label, 'UNKNOWN');
    assert.equal(
      vm.verdict.sentence,
      'example.com could not be tested: no endpoint could be probed (not tested: this machine cannot reach port 25); besides, 1 warning.',
    );
    assert.equal(verdictStatus(obs, states), Status.UNKNOWN);
    assert.deepEqual(
      vm.rows.map((r) => r.reachable),
      [
        { text: 'not tested: this machine cannot reach port 25', tone: 'muted' },
        { text: 'not tested: this machine cannot reach port 25', tone: 'muted' },
      ],
    );
    assert.equal(vm.egress?.verdict.tone, 'warn');
    assert.deepEqual(vm.egress?.canaries, [
      'gmail-smtp-in.l.google.com (192.0.2.250) port 25: timed out: no answer to the TCP connection within 5 s',
    ]);
  });

  it('says "could not be tested" when the target policy refused every address, never "with reservations"', () => {
    const obs = observation({
      endpoints: [unreachableEndpoint('10.0.0.5', 'policy.refused'), unreachableEndpoint('10.0.0.6', 'policy.refused')],
    });
    const vm = view(obs);
    assert.equal(vm.verdict.label, 'UNKNOWN');
    assert.match(
      vm.verdict.sentence,
      /^example\.com could not be tested: no endpoint could be probed \(not probed: refused by the target policy\)/,
    );
  });

  it('keeps a confirmed problem as the verdict even when no endpoint could be probed', () => {
    const obs = egressBlockedObservation();
    const states = [...evaluate(obs), state(Status.CRIT, 'mx1.example.com', 'smtp.mx.cname')];
    assert.equal(buildReportView(obs, { states }).verdict.label, 'CRIT');
  });

  it('judges normally when some endpoint could be tested', () => {
    const obs = observation({ endpoints: [endpoint(), unreachableEndpoint('10.0.0.5', 'policy.refused')] });
    assert.notEqual(view(obs).verdict.sentence.includes('could not be tested'), true);
  });

  it('names a resolver that failed as the reason nothing was tested', () => {
    const base = observation({ endpoints: [] });
    const failure = {
      name: 'example.com',
      rrtype: 'MX' as const,
      code: 'REFUSED' as const,
      message: 'queryMx EREFUSED',
    };
    const obs: Observation = {
      ...base,
      dns: {
        ...base.dns,
        mx: [],
        mx_error: failure,
        resolver_check: {
          root: { name: '.', rrtype: 'SOA', answered: true, error: null },
          tld: null,
          conclusion: 'resolver',
        },
      },
    };
    const vm = view(obs);
    assert.equal(
      vm.verdict.sentence,
      "example.com could not be tested: the DNS resolver 127.0.0.53:53 (the system's resolver) failed, so the MX records could not be looked up.",
    );
    assert.equal(vm.dns.resolver, "127.0.0.53:53 (the system's resolver)");
    assert.deepEqual(vm.dns.notes.at(-1), {
      text: 'Resolver check (asked of the same resolver): SOA of the root zone (.): answered. So the resolver itself fails or filters: the MX lookup says nothing about the domain.',
      tone: 'warn',
    });
  });

  it('says when the check was cut short, and what it left untested', () => {
    const cut = {
      code: 'deadline' as const,
      phase: 'connect' as const,
      message: 'not probed: the 44 s deadline of the check ran out',
    };
    const obs = observation({
      endpoints: [endpoint(), unreachableEndpoint('2001:db8::10', 'connect.timeout', { error: cut })],
      cut: { reason: 'deadline', after_ms: 44000, message: 'the 44 s deadline of the check ran out' },
    });
    assert.equal(
      view(obs).cutNote,
      'The check was cut short after 44000 ms (the 44 s deadline of the check ran out): 1 endpoint was not probed; what was cut is marked as not tested.',
    );
    assert.equal(view(observation()).cutNote, null);
  });

  it('shows the first attempt of an endpoint tried twice', () => {
    const e = endpoint({
      retry: {
        reason: 'greeting_421',
        first_started_at: '2026-11-21T10:00:00.000Z',
        first_greeting: reply(421, 'Too many concurrent SMTP connections'),
        first_error: null,
        delay_ms: 1500,
      },
    });
    const vm = view(observation({ endpoints: [e] }));
    assert.equal(
      vm.endpoints[0]!.retry,
      'The first attempt (2026-11-21T10:00:00.000Z) got "421 Too many concurrent SMTP connections"; a 421 greeting: often a limit on concurrent connections that our parallel probes tripped. Tried again alone, 1500 ms later: what is shown is the second attempt.',
    );
    assert.equal(view(observation()).endpoints[0]!.retry, null);
    assert.equal(view(observation()).egress, null, 'no egress check on the common path');
  });
});

describe('buildReportView()', () => {
  it('never runs the rules: without states it says none were evaluated and lists nothing', () => {
    const vm = buildReportView(openRelayObservation(), { states: [] });
    assert.equal(vm.verdict.label, 'UNKNOWN');
    assert.equal(vm.verdict.sentence, 'example.com was probed but no rules were evaluated.');
    assert.deepEqual([vm.fixes, vm.untested], [[], []]);
    assert.equal(vm.nothingToFix, 'No rule states given.');
    assert.deepEqual(
      vm.rows.map((r) => r.status.label),
      ['UNKNOWN', 'UNKNOWN'],
      'no endpoint claims OK when nothing judged it',
    );
    assert.equal(vm.statesNote, null);
  });

  it('says the states were evaluated by the report only when it was told so', () => {
    const obs = observation();
    const states = evaluate(obs);
    assert.equal(buildReportView(obs, { states }).statesNote, null);
    assert.match(buildReportView(obs, { states, evaluatedByReport: true }).statesNote!, /evaluated by this report/);
  });

  it('sorts What to fix CRIT → WARN, then by subject, with fix hints and endpoint anchors; remarks apart', () => {
    const obs = mixedObservation();
    const states = [
      state(Status.INFO, 'example.com', 'smtp.ipv6.none'),
      state(Status.WARN, '192.0.2.20:25', 'smtp.ptr.missing', 'ask for a PTR'),
      state(Status.OK, 'example.com', 'smtp.postmaster.ok'),
      state(Status.CRIT, '[2001:db8::20]:25', 'smtp.endpoint.unreachable', 'open port 25'),
      state(Status.WARN, '192.0.2.10:25', 'smtp.ptr.missing', 'ask for a PTR'),
      state(Status.CRIT, '192.0.2.20:25', 'smtp.open_relay'),
    ];
    const vm = buildReportView(obs, { states });
    assert.deepEqual(
      vm.fixes.map((f) => [f.label, f.subject, f.anchor]),
      [
        ['CRIT', '192.0.2.20:25', 'r-ep-2'],
        ['CRIT', '[2001:db8::20]:25', 'r-ep-3'],
        // The same finding on two endpoints (of two MX hosts): one item naming both.
        ['WARN', '2 endpoints', 'r-ep-0'],
      ],
    );
    assert.deepEqual(
      vm.fixes[2]!.subjects.map((s) => [s.text, s.anchor]),
      [
        ['192.0.2.10:25', 'r-ep-0'],
        ['192.0.2.20:25', 'r-ep-2'],
      ],
    );
    assert.deepEqual(
      vm.remarks.map((f) => [f.label, f.subject, f.anchor]),
      [['INFO', 'example.com', null]],
    );
    assert.deepEqual(vm.fixes[1]!.fix, ['open port 25']);
    assert.equal(vm.verdict.label, 'CRIT');
    // Counted as listed: the two endpoints' identical warning is one item to fix.
    assert.match(vm.verdict.sentence, /cannot receive mail reliably: 2 critical problems, 1 warning\./);
  });

  it('keeps a section closed when its only findings are remarks (INFO)', () => {
    const obs = observation({ endpoints: [endpoint({ address: '192.0.2.10' })] });
    const info = {
      status: Status.INFO,
      rule: 'smtp.extension_posture',
      code: 'smtp.ext.missing',
      subject: '192.0.2.10:25',
      message: 'No CHUNKING.',
    };
    const warn = { ...info, status: Status.WARN, rule: 'smtp.reverse_dns', code: 'smtp.ptr.missing' };
    assert.equal(buildReportView(obs, { states: [info] }).endpoints[0]!.open, false);
    assert.equal(buildReportView(obs, { states: [info, warn] }).endpoints[0]!.open, true);
  });

  it('opens exactly the endpoint sections something non-OK concerns', () => {
    const vm = view(mixedObservation());
    assert.deepEqual(
      vm.endpoints.map((e) => [e.subject, e.open, e.status.label]),
      [
        ['192.0.2.10:25', false, 'OK'],
        ['[2001:db8::10]:25', false, 'OK'],
        ['192.0.2.20:25', false, 'OK'],
        ['[2001:db8::20]:25', true, 'CRIT'],
      ],
    );
    const down = vm.endpoints[3]!;
    assert.match(down.stop!, /connect\.timeout/);
    assert.deepEqual(vm.rows[3]!.reachable, { text: 'no: timed out', tone: 'bad' });
  });

  it('flags the open relay in the row, the section and the transaction', () => {
    const vm = view(openRelayObservation());
    assert.deepEqual(
      vm.rows.map((r) => [r.mx, r.openRelay, r.relay.text]),
      [
        ['mx1.example.com', false, 'refused'],
        ['mx2.example.com', true, 'OPEN RELAY'],
      ],
    );
    const relay = vm.endpoints[1]!;
    assert.equal(relay.openRelay, true);
    assert.equal(relay.open, true);
    assert.deepEqual(
      relay.transactions.map((t) => [t.label, t.outcome.text]),
      [
        ['Null sender', 'accepted'],
        ['Postmaster', 'accepted'],
        ['Open relay', 'OPEN RELAY: accepted'],
      ],
    );
    assert.deepEqual(
      relay.transactions[2]!.replies.map((r) => r.command),
      ['MAIL FROM:<postmaster@mx-checker.happydomain.org>', 'RCPT TO:<postmaster@example.net>', 'RSET'],
    );
  });

  it('summarises each endpoint: greeting, STARTTLS, TLS version, PTR, transactions', () => {
    const [row] = view(noStartTlsObservation()).rows;
    assert.deepEqual(
      [
        row!.family,
        row!.greeting.text,
        row!.starttls,
        row!.tlsVersion.text,
        row!.ptr.text,
        row!.nullSender.text,
        row!.postmaster.text,
      ],
      [
        'IPv4',
        '220 mx1.example.com',
        { text: 'not offered', tone: 'bad' },
        '—',
        'mx1.example.com (FCrDNS ok)',
        'accepted',
        'accepted',
      ],
    );
  });

  it('keeps extensions before and after TLS, timings, certificate and a transcript with directions and times', () => {
    const obs = observation({ endpoints: [observation().endpoints[0]!] });
    obs.endpoints[0]!.transcript.push({ t: 6.4, dir: 'C', text: 'EHLO mx-checker.happydomain.org' });
    const ep = view(obs).endpoints[0]!;
    assert.ok(ep.extensionsBefore!.includes('STARTTLS'));
    assert.ok(!ep.extensionsAfter!.includes('STARTTLS'));
    assert.ok(ep.extensionsBefore!.includes('SIZE 10240000'));
    assert.deepEqual(
      ep.timings.map((t) => t.value),
      ['3 ms', '5 ms', '2 ms', '8 ms', '40 ms'],
    );
    assert.equal(ep.certificate!.subject, 'CN=mx1.example.com');
    assert.deepEqual(ep.certificate!.expiry, { text: '191 days left at the check', tone: 'ok' });
    assert.deepEqual(
      ep.transcript.map((l) => [l.time, l.kind]),
      [
        ['+0 ms', 'e'],
        ['+5 ms', 's'],
        ['+6 ms', 'c'],
      ],
    );
    assert.match(ep.tlsSource!, /our own evaluation/);
  });

  it('shows a long transcript by its first and last 100 lines, saying how many are left out', () => {
    const obs = observation({ endpoints: [observation().endpoints[0]!] });
    obs.endpoints[0]!.transcript = Array.from({ length: 2000 }, (_, i) => ({
      t: i,
      dir: 'S' as const,
      text: `250-line ${i}`,
    }));
    const lines = view(obs).endpoints[0]!.transcript;
    assert.equal(lines.length, 201);
    assert.equal(lines[0]!.text, '250-line 0');
    assert.equal(lines[99]!.text, '250-line 99');
    assert.equal(lines[100]!.text, '… 1800 more lines not shown here (the JSON observation has all 2000) …');
    assert.equal(lines[101]!.text, '250-line 1900');
    assert.equal(lines[200]!.text, '250-line 1999');
    obs.endpoints[0]!.transcript.length = 200;
    assert.equal(view(obs).endpoints[0]!.transcript.length, 200, 'up to 200 lines, all of them');
  });

  it("lists the chain's keys and signatures, and does not call a chain refused at default security plainly trusted", () => {
    const e = observation().endpoints[0]!;
    const tls = e.starttls.tls!;
    const leaf = { ...tls.chain[0]!, key_bits: 1024, signature_algorithm: 'ecdsa-with-SHA1', signature_hash: 'SHA-1' };
    const root = {
      ...tls.chain[0]!,
      subject: { CN: 'Example CA' },
      key_type: 'EC prime256v1',
      key_bits: 256,
      self_signed: true,
    };
    const weak = { ...e, starttls: { ...e.starttls, tls: { ...tls, chain: [leaf, root] } } };
    const healthy = view(observation({ endpoints: [e] })).endpoints[0]!.certificate!;
    assert.deepEqual(healthy.trust, { text: 'trusted chain', tone: 'ok' });
    assert.deepEqual(healthy.chain, [
      { text: 'leaf CN=mx1.example.com: RSA 2048 bits, signed with sha256WithRSAEncryption', tone: 'ok' },
    ]);
    const cert = view(observation({ endpoints: [weak] })).endpoints[0]!.certificate!;
    assert.deepEqual(cert.trust, {
      text: 'trusted at the lowest security level only: a sender verifying at default security refuses this chain',
      tone: 'warn',
    });
    assert.deepEqual(cert.chain, [
      {
        text: 'leaf CN=mx1.example.com: RSA 1024 bits (too small for default security), signed with ecdsa-with-SHA1 (a hash default security refuses)',
        tone: 'warn',
      },
      { text: 'root CN=Example CA: EC prime256v1 256 bits, self-signed', tone: 'ok' },
    ]);
  });

  it('collapses the same finding said by many rules (null MX) into one item', () => {
    const vm = view(nullMxObservation());
    assert.match(vm.verdict.sentence, /publishes a null MX: it accepts no mail/);
    assert.deepEqual(vm.fixes, [], 'a null MX is a remark: nothing to fix');
    assert.equal(vm.nothingToFix, 'Nothing to fix.');
    assert.deepEqual(
      vm.remarks.map((f) => [f.code, f.rules.length]),
      [
        ['smtp.null_mx', 1],
        ['smtp.null_mx.not_probed', 13],
      ],
    );
    assert.deepEqual(vm.rows, []);
    assert.match(vm.noEndpoints!, /null MX/);
    assert.match(vm.dns.notes[0]!.text, /Null MX/);
  });

  it('lists DNS facts: targets, CNAME chains, lookup errors', () => {
    const obs = mixedObservation();
    obs.dns.mx[0]!.errors.push({
      name: 'mx1.example.com',
      rrtype: 'AAAA',
      code: 'SERVFAIL',
      message: 'server failure',
    });
    const dns = view(obs).dns;
    assert.deepEqual(
      dns.targets.map((t) => [t.preference, t.name, t.addresses]),
      [
        ['10', 'mx1.example.com', '192.0.2.10, 2001:db8::10'],
        ['20', 'mx2.example.com', '192.0.2.20, 2001:db8::20'],
      ],
    );
    assert.match(dns.targets[1]!.notes[0]!, /CNAME → mail\.hoster\.example\.net/);
    assert.deepEqual(dns.targets[0]!.errors, ['lookup failed: AAAA mx1.example.com: SERVFAIL (server failure)']);
  });

  it('shows related TLS findings next to their endpoint, and unusable ones with the reason', () => {
    const related: Record<string, unknown[]> = {
      tls_probes: [
        relatedTls('mx1.example.com:25', { tls_version: 'TLSv1.3', hostname_match: false }),
        relatedTls('mx2.example.com:25', { chain_valid: true }, '2026-01-01T00:00:00Z'),
      ],
    };
    const vm = view(mixedObservation(), related);
    const mx1 = vm.endpoints[0]!;
    assert.match(mx1.tlsSource!, /TLS checker/);
    assert.deepEqual(
      mx1.related.map((r) => [r.ref, r.usable, r.findings.map((f) => f.status.label)]),
      [['mx1.example.com:25', true, ['WARN']]],
    );
    assert.ok(mx1.open, 'a related finding opens the section');
    // Both addresses of mx1 got the same finding from the TLS checker: one item naming both.
    const mismatch = vm.fixes.find((f) => f.code === 'smtp.tls.hostname_mismatch');
    assert.equal(mismatch?.subject, '2 endpoints of mx1.example.com');
    assert.deepEqual(
      mismatch!.subjects.map((s) => s.text),
      ['192.0.2.10:25', '[2001:db8::10]:25'],
    );
    assert.match(mismatch!.message, /TLS checker/);
    assert.ok(
      mx1.findings.some((f) => f.code === 'smtp.tls.hostname_mismatch'),
      'the section lists its own finding',
    );
    const mx2 = vm.endpoints[2]!;
    assert.match(mx2.tlsSource!, /our own evaluation/);
    assert.match(mx2.related[0]!.problem!, /not used: it was collected \d+ days before this check/);
    assert.ok(vm.remarks.some((f) => f.code === 'smtp.tls.related_unusable' && f.subject === '192.0.2.20:25'));
  });

  it('makes control characters in server text visible instead of passing them through', () => {
    const obs = observation({ endpoints: [observation().endpoints[0]!] });
    obs.endpoints[0]!.greeting = { code: 220, enhanced: null, lines: ['220 mx\x1b[2J\u202eevil'] };
    const ep = view(obs).endpoints[0]!;
    assert.deepEqual(ep.greeting!.lines, ['220 mx\\x1b[2J\\u202eevil']);
  });
});
