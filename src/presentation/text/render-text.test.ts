import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderText } from './render-text.js';
import { Status, type CheckState } from '../../model/status.js';
import type { EndpointProbe } from '../../model/observation.js';
import {
  endpoint,
  mxTarget,
  observation,
  reply,
  transaction,
  unreachableEndpoint,
  SYSTEM_RESOLVER,
  egressBlockedObservation,
  mixedObservation,
  noStartTlsObservation,
  openRelayObservation,
} from '../../../test/fixtures/observations.js';
import { evaluate } from '../../rules/index.js';

const ESC = '\x1b';

const OK_STATES: CheckState[] = [
  { status: Status.OK, rule: 'smtp.mx_present', message: 'example.com publishes 1 MX.' },
  { status: Status.OK, rule: 'smtp.open_relay', message: 'No endpoint relays.' },
];

// Deliberately out of order: the renderer sorts.
const FINDINGS: CheckState[] = [
  {
    status: Status.INFO,
    rule: 'smtp.extension_posture',
    code: 'smtp.ext.missing',
    subject: '192.0.2.10:25',
    message: 'CHUNKING is not advertised.',
  },
  {
    status: Status.WARN,
    rule: 'smtp.reverse_dns',
    code: 'smtp.fcrdns.mismatch',
    subject: '192.0.2.10:25',
    message: 'The PTR name does not resolve back to 192.0.2.10.',
    meta: { fix: 'Ask the hosting provider for a PTR matching the MX name.' },
  },
  {
    status: Status.CRIT,
    rule: 'smtp.open_relay',
    code: 'smtp.open_relay',
    subject: '192.0.2.10:25',
    message: 'Accepted a recipient outside example.com: anyone can relay mail through it.',
    meta: { fix: 'Postfix: smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination' },
  },
  { status: Status.OK, rule: 'smtp.mx_present', message: 'example.com publishes 1 MX.' },
];

const noEndpointStates = (msg: string): CheckState[] => [
  { status: Status.INFO, rule: 'smtp.null_mx', code: 'smtp.null_mx', message: msg },
];

/** The report with its evidence (DNS, endpoint blocks): what most of these tests read. */
function render(states: CheckState[], obs = observation(), color = false): string {
  return renderText(obs, states, { color, verbose: true });
}

describe("renderText(): the checker's own network and run", () => {
  it('names the resolver under DNS, and shows the egress check and the cut', () => {
    const obs = {
      ...egressBlockedObservation(),
      cut: { reason: 'cancelled' as const, after_ms: 900, message: 'the check was cancelled' },
    };
    const out = renderText(obs, evaluate(obs), { color: false, verbose: true });
    const lines = out.split('\n');
    assert.match(lines[0]!, /^UNKNOWN example\.com could not be tested: no endpoint could be probed/);
    assert.ok(
      lines.slice(1, 4).some((l) => /^ {8}The check was cut short after 900 ms \(the check was cancelled\)/.test(l)),
      'the cut is said under the verdict',
    );
    assert.match(
      out,
      /DNS \(MX set from a live DNS lookup\)\n {2}resolver 127\.0\.0\.53:53 \(the system's resolver\)\n/,
    );
    // Under the endpoint table, before what to fix: it explains the table's "not tested".
    const egress = out.slice(out.indexOf('Port 25 from this machine'), out.indexOf('What to fix'));
    assert.equal(
      egress,
      [
        'Port 25 from this machine (egress check)',
        '  This machine cannot reach port 25 anywhere: the endpoints could not be tested from here (many ISPs',
        '  and clouds block outbound port 25).',
        '    gmail-smtp-in.l.google.com (192.0.2.250) port 25: timed out: no answer to the TCP connection',
        '      within 5 s',
        '',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(renderText(observation(), [], { color: false }), /egress check/);
  });
});

describe('renderText()', () => {
  it('starts with the verdict: worst status, domain, counts, then when and how long', () => {
    const [first, second] = render(FINDINGS).split('\n');
    assert.match(first!, /^CRIT\s+example\.com cannot receive mail reliably: 1 critical problem, 1 warning\.$/);
    assert.match(second!, /checked 2026-11-21T10:00:00\.000Z · took 120 ms/);
  });

  it('says a healthy domain receives mail, and on how many endpoints', () => {
    const out = render(OK_STATES);
    assert.match(out.split('\n')[0]!, /^OK\s+example\.com receives mail correctly on 2 endpoints \(1 MX host\)\.$/);
    assert.match(out, /What to fix\n {2}Nothing to fix\.\n/);
  });

  it('does not claim OK when no states were given', () => {
    const out = render([]);
    assert.match(out.split('\n')[0]!, /^UNKNOWN example\.com was probed but no rules were evaluated\.$/);
    assert.doesNotMatch(out, /Nothing to fix/);
  });

  it('lists findings CRIT before WARN before INFO, each with its fix', () => {
    const out = render(FINDINGS);
    const fix = out.slice(out.indexOf('What to fix'), out.indexOf('\nDNS'));
    const crit = fix.indexOf('CRIT');
    const warn = fix.indexOf('WARN');
    const info = fix.indexOf('INFO');
    assert.ok(crit > 0 && crit < warn && warn < info, fix);
    assert.match(
      fix,
      /\(smtp\.open_relay\)\n\s+Accepted a recipient outside example\.com[^\n]*\n\s+fix: Postfix: smtpd_relay_restrictions/,
    );
    assert.match(fix, /fix: Ask the hosting provider for a PTR matching the MX name\./);
    assert.doesNotMatch(fix, /publishes 1 MX/, 'OK states are not findings');
  });

  it('orders findings of equal status by subject in natural order, then code', () => {
    const states: CheckState[] = [
      {
        status: Status.CRIT,
        rule: 'smtp.starttls_offered',
        code: 'smtp.starttls.missing',
        subject: '192.0.2.10:25',
        message: 'm3',
      },
      {
        status: Status.CRIT,
        rule: 'smtp.banner_sanity',
        code: 'smtp.banner.invalid',
        subject: '192.0.2.10:25',
        message: 'm2',
      },
      { status: Status.CRIT, rule: 'smtp.zzz', code: 'smtp.zzz', subject: '192.0.2.9:25', message: 'm1' },
      { status: Status.ERROR, rule: 'smtp.zzz', message: 'm0' },
    ];
    const out = render(states);
    const order = ['m0', 'm1', 'm2', 'm3'].map((m) => out.indexOf(`  ${m}\n`));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.ok(order[0]! > 0);
  });

  it('colours only when asked, and always spells the status', () => {
    const plain = render(FINDINGS, observation(), false);
    const coloured = render(FINDINGS, observation(), true);
    assert.ok(!plain.includes(ESC));
    assert.ok(coloured.includes(`${ESC}[31mCRIT${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[33mWARN${ESC}[0m`));
    assert.ok(coloured.includes(`${ESC}[36mINFO${ESC}[0m`));
    // Stripping the colour gives back the plain report.
    assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ''), plain);
  });

  it('neutralises control characters in server text', () => {
    const hostile = `mx1.example.com ESMTP${ESC}[2J${ESC}]0;pwned\x07\rOK \u202egnp.exe \x9b31m`;
    const ep = endpoint({
      greeting: reply(220, hostile),
      reverse_dns: { ptr: [`evil${ESC}[1A.example`], ptr_error: null, forward: [], fcrdns: false },
      error: { code: 'closed', phase: 'quit', message: `bye\r${ESC}[2K` },
      transcript: [{ t: 5, dir: 'S', text: `220 ${hostile}` }],
    });
    const states: CheckState[] = [
      { status: Status.WARN, rule: 'smtp.banner_sanity', subject: ep.subject, message: `Banner: ${hostile}` },
    ];
    for (const color of [false, true]) {
      const out = renderText(observation({ endpoints: [ep] }), states, { color, verbose: true });
      // Only our own SGR colour sequences may remain.
      const rest = out.replace(/\x1b\[[0-9;]*m/g, '');
      assert.doesNotMatch(rest, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      assert.ok(out.includes('ESMTP\\x1b[2J\\x1b]0;pwned\\x07\\x0dOK \\u202egnp.exe \\x9b31m'));
      assert.ok(out.includes('evil\\x1b[1A.example'));
      assert.ok(out.includes('bye\\x0d\\x1b[2K'));
    }
  });

  it('renders a null MX without endpoints', () => {
    const obs = observation({
      dns: {
        source: 'live',
        resolver: SYSTEM_RESOLVER,
        resolver_check: null,
        mx_not_probed: [],
        mx_unlisted: 0,
        mx_error: null,
        null_mx: true,
        implicit_mx: false,
        mx: [],
      },
      endpoints: [],
    });
    const out = render(noEndpointStates('example.com publishes a null MX: it accepts no mail.'), obs);
    assert.match(out.split('\n')[0]!, /^INFO\s+example\.com publishes a null MX: it accepts no mail \(RFC 7505\)\.$/);
    assert.match(out, /Null MX \(MX 0 \.\)/);
    assert.match(out, /Endpoints\n {2}No endpoint probed: a null MX means there is nothing to probe\./);
  });

  it('renders a domain whose MX lookup failed', () => {
    const obs = observation({
      dns: {
        source: 'live',
        resolver: SYSTEM_RESOLVER,
        resolver_check: null,
        mx_not_probed: [],
        mx_unlisted: 0,
        mx_error: { name: 'example.com', rrtype: 'MX', code: 'SERVFAIL', message: 'queryMx ESERVFAIL example.com' },
        null_mx: false,
        implicit_mx: false,
        mx: [],
      },
      endpoints: [],
    });
    const out = render(
      [{ status: Status.CRIT, rule: 'smtp.mx_present', code: 'smtp.mx.none', message: 'The MX lookup failed.' }],
      obs,
    );
    assert.match(out, /MX lookup failed: SERVFAIL \(queryMx ESERVFAIL example\.com\)/);
    assert.match(out, /No endpoint probed: the MX lookup failed\./);
  });

  it('notes CNAME, IP-literal and implicit MX targets', () => {
    const obs = observation({
      dns: {
        source: 'live',
        resolver: SYSTEM_RESOLVER,
        resolver_check: null,
        mx_not_probed: [],
        mx_unlisted: 0,
        mx_error: null,
        null_mx: false,
        implicit_mx: false,
        mx: [
          mxTarget('alias.example.com', { cname_chain: ['real.example.net'], ipv4: ['198.51.100.1'] }),
          mxTarget('192.0.2.1', { preference: 20, ip_literal: true }),
          mxTarget('gone.example.com', {
            preference: 30,
            errors: [{ name: 'gone.example.com', rrtype: 'A', code: 'NXDOMAIN', message: 'queryA ENOTFOUND' }],
          }),
        ],
      },
    });
    const out = render(OK_STATES, obs);
    assert.match(
      out,
      /10 alias\.example\.com {2}CNAME → real\.example\.net \(RFC 5321 §5\.1: MX targets must not be aliases\);\s+198\.51\.100\.1/,
    );
    assert.match(out, /20 192\.0\.2\.1 {2}IP literal/);
    assert.match(out, /30 gone\.example\.com {2}no address\n\s+lookup failed: A gone\.example\.com: NXDOMAIN/);

    const implicit = observation({
      dns: {
        source: 'live',
        resolver: SYSTEM_RESOLVER,
        resolver_check: null,
        mx_not_probed: [],
        mx_unlisted: 0,
        mx_error: null,
        null_mx: false,
        implicit_mx: true,
        mx: [mxTarget('example.com', { preference: 0, ipv4: ['192.0.2.10'], implicit: true })],
      },
      endpoints: [endpoint({ mx: ['example.com'] })],
    });
    const out2 = render(OK_STATES, implicit);
    assert.match(out2.split('\n')[0]!, /on 1 endpoint \(implicit MX\)\.$/);
    assert.match(out2, /implicit MX: the domain itself/);
  });

  it('shows an endpoint: timings, greeting, extensions, TLS, certificate, transactions, PTR', () => {
    const out = render(OK_STATES);
    const block = out.slice(out.indexOf('Endpoint 192.0.2.10:25'), out.indexOf('Endpoint [2001:db8::10]:25'));
    assert.match(block, /MX mx1\.example\.com \(preference 10\) · IPv4/);
    assert.match(block, /timings\s+connect 3 ms · greeting 5 ms · EHLO 2 ms · TLS handshake 8 ms · total 40 ms/);
    assert.match(block, /greeting\s+220 mx1\.example\.com ESMTP Postfix/);
    assert.match(block, /EHLO\s+250-mx1\.example\.com \(\+8 lines\)/);
    assert.match(block, /before TLS\s+PIPELINING, SIZE 10240000, 8BITMIME, [^]*?STARTTLS\n {2}STARTTLS/);
    assert.match(block, /after TLS\s+PIPELINING, SIZE 10240000, 8BITMIME/);
    assert.match(
      block,
      /STARTTLS\s+handshake ok in 8 ms: TLSv1\.3, TLS_AES_256_GCM_SHA384, key exchange ECDH X25519 253/,
    );
    assert.match(block, /CN=mx1\.example\.com · issuer CN=Example CA/);
    // Wrapped at the width (100), never one 128-column line.
    assert.match(
      block,
      /2026-01-01 → 2027-06-01 · 191 days left at the check · trusted chain · SNI\s+mx1\.example\.com/,
    );
    assert.match(block, /chain\s+leaf CN=mx1\.example\.com: RSA 2048 bits, signed with sha256WithRSAEncryption\n/);
    assert.match(block, /Null sender\s+accepted · MAIL 250 2\.1\.0 Ok · RCPT <postmaster@example\.com> 250/);
    assert.match(block, /Open relay\s+refused · .*RCPT <postmaster@example\.net> 550/);
    assert.match(block, /PTR\s+mx1\.example\.com: forward-confirmed/);
    assert.doesNotMatch(block, /stopped|last lines/);
  });

  it('marks an open relay and skipped or temporary transactions', () => {
    const ep = endpoint({
      transactions: [
        transaction('null_sender', 'tempfail'),
        transaction('postmaster', 'skipped'),
        transaction('open_relay', 'accepted'),
      ],
    });
    const out = render(OK_STATES, observation({ endpoints: [ep] }));
    assert.match(
      out,
      /Null sender\s+temporary failure \(4xx\) · MAIL 250 2\.1\.0 Ok · RCPT <postmaster@example\.com> 450/,
    );
    assert.match(out, /Postmaster\s+skipped · switched off/);
    assert.match(out, /Open relay\s+OPEN RELAY: accepted/);
  });

  it('shows where a dialogue stopped and the last lines it saw', () => {
    const transcript: EndpointProbe['transcript'] = [
      { t: 0, dir: '*', text: 'connected to 192.0.2.10:25' },
      ...Array.from({ length: 10 }, (_, i) => ({ t: i + 1, dir: 'S' as const, text: `220-line ${i}` })),
      { t: 12000, dir: '*', text: 'timeout' },
    ];
    const ep = endpoint({
      greeting: null,
      ehlo: null,
      extensions: null,
      ehlo_tls: null,
      extensions_tls: null,
      starttls: {
        offered: false,
        attempted: false,
        reply: null,
        ok: false,
        discarded_bytes: 0,
        plaintext_refused: null,
        tls: null,
        error: null,
      },
      transactions: [],
      error: { code: 'timeout', phase: 'greeting', message: 'No complete greeting within 12 s' },
      transcript,
    });
    const out = render(OK_STATES, observation({ endpoints: [ep] }));
    assert.match(out, /stopped\s+at greeting: timeout \(No complete greeting within 12 s\)/);
    assert.match(out, /last lines\s+\+6 ms S 220-line 5\n/);
    assert.match(out, /\+12000 ms \* timeout\n/);
    assert.doesNotMatch(out, /220-line 4/);
    assert.doesNotMatch(out, /STARTTLS/);
  });

  it('shows an unreachable endpoint, a failed handshake and a HELO fallback', () => {
    const down = unreachableEndpoint('2001:db8::10', 'connect.unreachable', {
      transactions: [],
      error: { code: 'connect.unreachable', phase: 'connect', message: 'connect ENETUNREACH 2001:db8::10:25' },
      transcript: [],
    });
    const tlsFail = endpoint({
      address: '192.0.2.11',
      ehlo: reply(502, '5.5.2 Error: command not recognized'),
      helo_fallback: true,
      helo: reply(250, 'mx1.example.com'),
      starttls: {
        offered: true,
        attempted: true,
        reply: reply(220, '2.0.0 Ready'),
        ok: false,
        discarded_bytes: 12,
        plaintext_refused: null,
        tls: null,
        error: { code: 'tls.handshake', phase: 'tls', message: 'wrong version number' },
      },
      ehlo_tls: null,
      extensions_tls: null,
    });
    const states: CheckState[] = [
      { status: Status.CRIT, rule: 'smtp.endpoint_reachable', subject: down.subject, message: 'Unreachable.' },
    ];
    const out = render(states, observation({ endpoints: [tlsFail, down] }));
    assert.match(out, /Endpoint \[2001:db8::10\]:25 {2}CRIT {2}MX mx1\.example\.com \(preference 10\) · IPv6/);
    assert.match(out, /stopped\s+at connect: connect\.unreachable \(connect ENETUNREACH/);
    assert.match(
      out,
      /EHLO\s+502 5\.5\.2 Error: command not recognized\n\s+HELO\s+250 mx1\.example\.com \(fallback after EHLO refusal\)/,
    );
    assert.match(
      out,
      /STARTTLS\s+failed: tls\.handshake \(wrong version number\)\n\s+12 plaintext bytes sent after the 220 were discarded/,
    );
    assert.doesNotMatch(out, /certificate/);
  });

  it('wraps prose to the width but keeps every line of a finding', () => {
    const long = 'word '.repeat(40).trim();
    const out = renderText(
      observation(),
      [{ status: Status.WARN, rule: 'r', subject: 's', message: long, meta: { fix: long } }],
      { color: false, width: 60, verbose: true },
    );
    const fix = out.slice(out.indexOf('What to fix'), out.indexOf('\nDNS'));
    for (const line of fix.split('\n')) assert.ok(line.length <= 60, line);
    assert.equal((fix.match(/word/g) ?? []).length, 80);
  });

  it('is deterministic', () => {
    assert.equal(render(FINDINGS), render([...FINDINGS].reverse()));
  });
});

it('renderText() lists the "could not be tested" consequences apart from what to fix', () => {
  const obs = observation();
  const states: CheckState[] = [
    {
      status: Status.CRIT,
      rule: 'smtp.banner_sanity',
      code: 'smtp.banner.invalid',
      subject: '192.0.2.10:25',
      message: 'Greeted with 554.',
    },
    {
      status: Status.UNKNOWN,
      rule: 'smtp.ehlo_supported',
      code: 'smtp.ehlo.untested',
      subject: 'example.com',
      message: 'No endpoint got far enough to check EHLO support.',
    },
    {
      status: Status.UNKNOWN,
      rule: 'smtp.starttls_handshake',
      code: 'smtp.starttls.handshake_untested',
      subject: 'example.com',
      message: 'No endpoint got far enough.',
    },
    {
      status: Status.UNKNOWN,
      rule: 'smtp.open_relay',
      code: 'smtp.open_relay.tempfail',
      subject: '192.0.2.10:25',
      message: 'Temporary answer to the relay probe.',
    },
  ];
  const text = renderText(obs, states, { color: false });
  const fix = text.slice(text.indexOf('What to fix'), text.indexOf('Could not be tested'));
  assert.match(fix, /smtp\.banner\.invalid/);
  assert.match(fix, /smtp\.open_relay\.tempfail/, 'a temporary answer is a finding, not a consequence');
  assert.doesNotMatch(fix, /untested/);
  const rest = text.slice(text.indexOf('Could not be tested'));
  assert.match(rest, /smtp\.ehlo_supported: No endpoint got far enough to check EHLO support\./);
  assert.match(rest, /smtp\.starttls_handshake: /);
});

it('renderText() says a repeated fix "as above" and a finding several rules said once, with their count', () => {
  const ptr = (subject: string): CheckState => ({
    status: Status.WARN,
    rule: 'smtp.reverse_dns',
    code: 'smtp.ptr.missing',
    subject,
    message: `${subject} has no PTR record.`,
    meta: { fix: 'Ask the hosting provider for a PTR.' },
  });
  const notProbed = (rule: string): CheckState => ({
    status: Status.INFO,
    rule,
    code: 'smtp.null_mx.not_probed',
    subject: 'example.com',
    message: 'No endpoint was probed.',
  });
  const out = render([ptr('192.0.2.10:25'), notProbed('smtp.b'), ptr('192.0.2.9:25'), notProbed('smtp.a')]);
  const fix = out.slice(out.indexOf('What to fix'), out.indexOf('\nDNS'));
  assert.equal(fix.split('fix: Ask the hosting provider for a PTR.').length - 1, 1, fix);
  assert.match(fix, /192\.0\.2\.9:25 has no PTR record\.\n\s+fix: Ask[^\n]*\n[^\n]*192\.0\.2\.10:25[^]*fix: as above/);
  assert.equal(fix.split('No endpoint was probed.').length - 1, 1, 'said once');
  assert.match(fix, /\(smtp\.null_mx\.not_probed, said by 2 rules\)/);
});

describe('renderText(): a report that fits a screen', () => {
  it('leads with the verdict, then one row per endpoint, then what to fix and the checks passed; no evidence', () => {
    const obs = openRelayObservation();
    const out = renderText(obs, evaluate(obs), { color: false });
    const at = (s: string) => out.indexOf(s);
    assert.match(out.split('\n')[0]!, /^CRIT\s+example\.com cannot receive mail reliably/);
    assert.ok(
      0 < at('Endpoints\n') && at('Endpoints\n') < at('What to fix') && at('What to fix') < at('checks passed'),
    );
    assert.match(out, /\n {2}MX +Address +Reachable +TLS +PTR +Relay +Status\n/);
    assert.match(out, /\n {2}mx2\.example\.com +192\.0\.2\.20 +yes, 3 ms +TLSv1\.3 +ok +OPEN RELAY +CRIT\n/);
    assert.match(out, /\n\d+ of 16 checks passed/);
    assert.doesNotMatch(out, /\nDNS |\nEndpoint 192\.0\.2\.10|timings|last lines/, 'the evidence waits for --verbose');
    const verbose = renderText(obs, evaluate(obs), { color: false, verbose: true });
    assert.match(verbose, /\nDNS \(MX set from a live DNS lookup\)/);
    assert.match(verbose, /\nEndpoint 192\.0\.2\.20:25 {2}CRIT/);
  });

  it('says a domain with remarks only has nothing to fix, and lists the remarks apart', () => {
    const obs = noStartTlsObservation();
    obs.endpoints[0]!.starttls = observation().endpoints[0]!.starttls;
    obs.endpoints[0]!.ehlo_tls = observation().endpoints[0]!.ehlo_tls;
    obs.endpoints[0]!.extensions_tls = observation().endpoints[0]!.extensions_tls;
    const states = evaluate(obs);
    const out = renderText(obs, states, { color: false });
    assert.match(
      out.split('\n')[0]!,
      /^INFO +example\.com receives mail correctly on 1 endpoint \(1 MX host\): nothing to fix \(1 remark\)\.$/,
    );
    assert.match(
      out,
      /What to fix\n {2}Nothing to fix\.\n\nRemarks \(nothing to fix\)\n {2}INFO +example\.com {2}\(smtp\.ipv6\.none\)/,
    );
  });

  it('says a finding several endpoints share once, naming them, with one fix', () => {
    const ptr = (e: EndpointProbe): CheckState => ({
      status: Status.WARN,
      rule: 'smtp.reverse_dns',
      code: 'smtp.ptr.missing',
      subject: e.subject,
      message: `${e.address} has no PTR record.`,
      meta: { fix: `Ask for a PTR for ${e.address}.` },
    });
    const obs = observation();
    const out = renderText(obs, obs.endpoints.map(ptr), { color: false });
    const fix = out.slice(out.indexOf('What to fix'), out.indexOf('checks passed'));
    assert.match(
      fix,
      /WARN +2 endpoints of mx1\.example\.com {2}\(smtp\.ptr\.missing\)\n +192\.0\.2\.10:25, \[2001:db8::10\]:25\n +Each address has no PTR record\.\n +fix: Ask for a PTR for each address\.\n/,
    );
    assert.equal(fix.split('fix:').length - 1, 1, 'one fix');
  });

  it('never writes a line wider than the width, clipping server lines with an ellipsis', () => {
    const long = `220 ${'mx1.example.com '.repeat(20)}ESMTP`;
    const obs = mixedObservation();
    obs.endpoints[0]!.greeting = reply(220, long.slice(4));
    obs.endpoints[0]!.transcript = [{ t: 1, dir: 'S', text: long }];
    obs.endpoints[0]!.error = { code: 'closed', phase: 'quit', message: 'closed' };
    const states = evaluate(obs);
    for (const width of [40, 60, 80, 100, 120]) {
      for (const verbose of [false, true]) {
        const out = renderText(obs, states, { color: false, width, verbose });
        for (const line of out.split('\n')) assert.ok([...line].length <= width, `${width}: ${line}`);
        if (verbose && width >= 80) assert.match(out, /greeting +220 mx1\.example\.com mx1\.example\.com[^\n]*…\n/);
      }
    }
  });

  it('squeezes the endpoint table to the width, and lists the endpoints when even that is too wide', () => {
    const obs = mixedObservation();
    const states = evaluate(obs);
    const table = renderText(obs, states, { color: false, width: 72 });
    assert.match(table, /\n {2}MX +Address +Reachable/);
    assert.match(table, /\n {2}mx2\.exampl… +2001:db8::20 +no: timed o… +— +ok +— +CRIT\n/);
    const list = renderText(obs, states, { color: false, width: 50 });
    assert.doesNotMatch(list, /MX +Address/);
    assert.match(
      list,
      /\n {2}CRIT +mx2\.example\.com 2001:db8::20\n +reachable no: timed out · TLS — · PTR ok\n +· relay —\n/,
    );
  });

  it('colours the table cells by what they say, and stripping the colour gives the plain report', () => {
    const obs = openRelayObservation();
    const states = evaluate(obs);
    const coloured = renderText(obs, states, { color: true });
    assert.ok(coloured.includes(`${ESC}[31mOPEN RELAY${ESC}[0m`));
    assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ''), renderText(obs, states, { color: false }));
  });
});
