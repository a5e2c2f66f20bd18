import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'preact-render-to-string';
import {
  HOSTILE_IMG,
  HOSTILE_SCRIPT,
  egressBlockedObservation,
  endpoint,
  reply,
  hostileObservation,
  mixedObservation,
  noStartTlsObservation,
  nullMxObservation,
  observation,
  openRelayObservation,
  relatedTls,
} from '../../../test/fixtures/observations.js';
import { evaluate } from '../../rules/index.js';
import { Status } from '../../model/status.js';
import { REPORT_CSS, ReportView, renderReport } from './render-report.js';

const PANELS = ['verdict', 'fix', 'summary', 'endpoints', 'dns'];

function panelOrder(html: string): number[] {
  return PANELS.map((p) => html.indexOf(`data-panel="${p}"`));
}

/** `<details …>` tags of endpoint sections as [subject, open]. */
function sections(html: string): [string, boolean][] {
  return [...html.matchAll(/<details class="r-ep" id="[^"]+"( open)? data-subject="([^"]+)">/g)].map((m) => [
    m[2]!,
    m[1] !== undefined,
  ]);
}

const badges = (html: string) => html.split('class="r-badge-relay"').length - 1;

/** Elements our own report uses: any other tag would be data that escaped, or an external resource. */
const OWN_TAGS = new Set(
  'html head meta title style body div header section h1 h2 h3 p span strong code pre a ol ul li table thead tbody tr th td dl dt dd details summary'.split(
    ' ',
  ),
);

function assertSelfContained(html: string): void {
  assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
  for (const [tag, name, attrs] of html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    assert.ok(OWN_TAGS.has(name!.toLowerCase()), `unexpected element ${tag}`);
    assert.ok(!/\son[a-z]+=/i.test(attrs!), `no event handler in ${tag}`);
    assert.ok(!/\s(src|srcset|action|formaction)=/i.test(attrs!), `no resource attribute in ${tag}`);
    const href = /\shref="([^"]*)"/.exec(attrs!);
    if (href) assert.match(href[1]!, /^#r-ep-\d+$/, 'links stay inside the page');
  }
  const css = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
  assert.ok(!/url\(|@import/i.test(css), 'the stylesheet loads nothing');
  assert.equal(html.split('<style>').length - 1, 1, 'one inline stylesheet');
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';/,
  );
}

describe("renderReport(): the checker's own network and run", () => {
  it('names the resolver, shows the egress check after the endpoints, and says what was cut', () => {
    const obs = {
      ...egressBlockedObservation(),
      cut: { reason: 'cancelled' as const, after_ms: 900, message: 'the check was cancelled' },
    };
    const html = renderReport(obs, { states: evaluate(obs) });
    assertSelfContained(html);
    assert.match(html, /Resolver: <span class="r-mono">127\.0\.0\.53:53 \(the system's resolver\)<\/span>/);
    assert.match(
      html,
      /<section id="r-egress" data-panel="egress"><h2>Port 25 from this machine<\/h2><p class="r-t-warn">This machine cannot reach port 25 anywhere/,
    );
    assert.ok(html.indexOf('data-panel="summary"') < html.indexOf('data-panel="egress"'));
    assert.ok(html.indexOf('data-panel="egress"') < html.indexOf('data-panel="endpoints"'));
    assert.match(html, /<p class="r-t-warn">The check was cut short after 900 ms \(the check was cancelled\)/);
    assert.match(
      html,
      /<h1>Inbound mail report for example\.com<\/h1><p class="r-verdict-line"><span class="r-st r-st-unknown">UNKNOWN<\/span> example\.com could not be tested/,
    );
    assert.equal(
      renderReport(observation(), { states: evaluate(observation()) }).includes('data-panel="egress"'),
      false,
    );
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
    const obs = observation({ endpoints: [e] });
    assert.match(
      renderReport(obs, { states: evaluate(obs) }),
      /<p class="r-t-warn">The first attempt \(2026-11-21T10:00:00\.000Z\) got &quot;421 Too many concurrent SMTP connections&quot;/,
    );
  });
});

describe('renderReport()', () => {
  it('evaluates the rules itself when no states are given (absent or empty), and says so', () => {
    const obs = openRelayObservation();
    const evaluated = renderReport(obs, { states: evaluate(obs) });
    assert.doesNotMatch(evaluated, /evaluated by this report/);
    for (const html of [renderReport(obs), renderReport(obs, { states: [] })]) {
      assert.match(html, /Rule states evaluated by this report from the observation\./);
      assert.equal(html.replace(/<p class="r-muted">Rule states evaluated by this report[^<]*<\/p>/, ''), evaluated);
    }
  });

  it('shows the states it is given, not its own evaluation', () => {
    const obs = observation();
    const html = renderReport(obs, {
      states: [
        {
          status: Status.WARN,
          rule: 'host.rule',
          code: 'host.finding',
          subject: '192.0.2.10:25',
          message: 'Said by the host.',
        },
      ],
    });
    assert.match(html, /r-st-warn">WARN<\/span> example\.com receives mail, with reservations: 1 warning\./);
    assert.match(html, /host\.finding/);
    assert.doesNotMatch(html, /evaluated by this report/);
  });

  it('renders a healthy domain: verdict OK, nothing to fix, every section closed, no badge', () => {
    const html = renderReport(observation());
    assertSelfContained(html);
    const order = panelOrder(html);
    assert.ok(
      order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)),
      `panels in order: ${order}`,
    );
    assert.match(
      html,
      /<span class="r-st r-st-ok">OK<\/span> example\.com receives mail correctly on 2 endpoints \(1 MX host\)\./,
    );
    assert.match(html, /<p class="r-nothing">Nothing to fix\.<\/p>/);
    assert.deepEqual(sections(html), [
      ['192.0.2.10:25', false],
      ['[2001:db8::10]:25', false],
    ]);
    assert.equal(badges(html), 0);
  });

  it('renders an open relay: CRIT verdict, the finding first with its Postfix fix, red badges, its section open', () => {
    const html = renderReport(openRelayObservation());
    assertSelfContained(html);
    const fix = html.slice(html.indexOf('data-panel="fix"'), html.indexOf('data-panel="summary"'));
    assert.match(fix, /^[^]*?r-fix-crit[^]*?192\.0\.2\.20:25[^]*?smtp\.open_relay[^]*?reject_unauth_destination/);
    assert.ok(fix.indexOf('r-fix-crit') < fix.indexOf('r-fix-info'), 'CRIT before INFO');
    // Summary row, section summary line, and the transaction.
    assert.equal(badges(html), 3);
    assert.deepEqual(sections(html), [
      ['192.0.2.10:25', false],
      ['192.0.2.20:25', true],
    ]);
  });

  it('renders a domain without STARTTLS with the fix naming the real settings', () => {
    const html = renderReport(noStartTlsObservation());
    assert.match(html, /smtp\.starttls\.missing/);
    assert.match(html, /smtpd_tls_security_level = may/);
    assert.match(html, /tls_advertise_hosts/);
    assert.match(html, /<span class="r-t-bad">not offered<\/span>/);
    assert.match(html, /Could not be tested/);
    assert.deepEqual(sections(html), [['192.0.2.10:25', true]]);
  });

  it('renders a null MX: INFO verdict, no endpoint, the DNS fact', () => {
    const html = renderReport(nullMxObservation());
    assertSelfContained(html);
    assert.match(html, /r-st-info">INFO<\/span> example\.com publishes a null MX/);
    assert.deepEqual(sections(html), []);
    assert.ok(!html.includes('<table class="r-table r-sum">'));
    assert.match(html, /Null MX \(MX 0 \.\)/);
    assert.match(html, /said by 13 rules/);
  });

  it('renders mixed IPv4/IPv6 with one endpoint down: only that one open, the CNAME in DNS', () => {
    const html = renderReport(mixedObservation());
    assertSelfContained(html);
    assert.deepEqual(sections(html), [
      ['192.0.2.10:25', false],
      ['[2001:db8::10]:25', false],
      ['192.0.2.20:25', false],
      ['[2001:db8::20]:25', true],
    ]);
    assert.match(html, /no: timed out/);
    assert.match(html, /CNAME → mail\.hoster\.example\.net/);
    assert.equal(badges(html), 0);
  });

  it('folds related TLS findings into the endpoint section and the What to fix panel', () => {
    const related = {
      tls_probes: [
        relatedTls('mx1.example.com:25', {
          tls_version: 'TLSv1.3',
          issues: [{ severity: 'warning', code: 'tls.chain', message: 'intermediate missing' }],
        }),
      ],
    };
    const html = renderReport(observation(), { related });
    assert.match(html, /The TLS checker \(tls\) reports for mx1\.example\.com:25: intermediate missing/);
    assert.match(html, /smtp\.tls\.related\.tls\.chain/);
    assert.match(
      html,
      /smtp.tls_quality judged this endpoint from the TLS checker&#39;s findings|smtp.tls_quality judged this endpoint from the TLS checker's findings/,
    );
    assert.deepEqual(sections(html), [
      ['192.0.2.10:25', true],
      ['[2001:db8::10]:25', true],
    ]);
  });

  it('says malformed related TLS data was not used, and renders', () => {
    const related = {
      tls_probes: [relatedTls('mx1.example.com:25', '<b>not json object</b>'), 'garbage'] as unknown[],
    };
    const html = renderReport(observation(), { related });
    assertSelfContained(html);
    assert.match(html, /not used: &quot;data&quot; is not a JSON object|not used: "data" is not a JSON object/);
    assert.match(html, /A related TLS observation was ignored: the entry is not a JSON object\./);
    assert.match(html, /our own evaluation of the certificate seen on this connection/);
    assert.ok(!html.includes('<b>not'));
  });

  it("lists the certificate chain's keys and signatures, warning of those default security refuses", () => {
    const healthy = renderReport(observation());
    assert.match(
      healthy,
      /<dt>chain<\/dt><dd><ul class="r-list"><li><span class="r-t-ok">leaf CN=mx1\.example\.com: RSA 2048 bits, signed with sha256WithRSAEncryption<\/span>/,
    );
    const obs = observation();
    for (const e of obs.endpoints) e.starttls.tls!.chain[0]!.key_bits = 1024;
    const weak = renderReport(obs);
    assert.match(
      weak,
      /<span class="r-t-warn">leaf CN=mx1\.example\.com: RSA 1024 bits \(too small for default security\)/,
    );
    assert.match(weak, /<span class="r-t-warn">trusted at the lowest security level only/);
    assert.match(weak, /smtp\.tls\.weak_key/);
  });

  it('shows hostile banners, EHLO parameters, certificate fields and the domain as text', () => {
    const html = renderReport(hostileObservation());
    assertSelfContained(html);
    assert.ok(
      html.includes('&lt;script>alert(1)&lt;/script>') || html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'),
    );
    assert.ok(!html.includes(HOSTILE_SCRIPT));
    assert.ok(!html.includes(HOSTILE_IMG));
    assert.ok(!html.includes('"><img'));
    // Each hostile place appears, escaped: title/verdict (domain), greeting, EHLO keyword, certificate subject.
    assert.match(html, /<title>Inbound mail report for example\.com&lt;script/);
    assert.match(html, /220 mx1\.example\.com ESMTP &lt;script/);
    assert.match(html, /X-EVIL &lt;script/);
    assert.match(
      html,
      /CN=&lt;script>alert\(1\)&lt;\/script>, O=&quot;>&lt;img src=x onerror=alert\(1\)>|CN=&lt;script&gt;/,
    );
  });

  it('is also a component a host page can embed, with every CSS selector scoped', () => {
    const obs = openRelayObservation();
    const html = render(<ReportView obs={obs} states={evaluate(obs)} />);
    assert.ok(html.startsWith('<div class="r-report">'));
    assert.ok(!html.includes('<html') && !html.includes('<style'));
    const selectors = REPORT_CSS.replace(/@media[^{]+\{/g, '')
      .split('}')
      .map((rule) => rule.split('{')[0]!.trim())
      .filter((sel) => sel !== '');
    assert.ok(selectors.length > 40);
    for (const group of selectors) {
      for (const sel of group.split(',')) assert.match(sel.trim(), /^\.r-/, `selector ${sel} is scoped`);
    }
  });
});
