import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, DEFAULT_HELO_NAME, DEFAULT_PROBE_ADDRESS } from './options.js';
import { OptionError } from '../model/errors.js';

function refused(raw: Record<string, unknown>, option: string, pattern: RegExp): void {
  assert.throws(
    () => parseOptions(raw),
    (err: unknown) => err instanceof OptionError && err.option === option && pattern.test(err.message),
  );
}

test('parseOptions() fills every default', () => {
  assert.deepEqual(parseOptions({ domain: 'Example.ORG.' }), {
    domain: 'example.org',
    timeout: 12,
    helo_name: DEFAULT_HELO_NAME,
    test_null_sender: true,
    test_postmaster: true,
    test_open_relay: true,
    test_probe_address: DEFAULT_PROBE_ADDRESS,
    test_mail_from: `postmaster@${DEFAULT_HELO_NAME}`,
    probe_address_replaced: false,
  });
});

test('parseOptions() takes the probe sender from the EHLO name unless test_mail_from says otherwise', () => {
  assert.equal(
    parseOptions({ domain: 'example.org', helo_name: 'Checker.Example.NET' }).test_mail_from,
    'postmaster@checker.example.net',
  );
  assert.equal(
    parseOptions({ domain: 'example.org', test_mail_from: 'probe@Verified.Example.net' }).test_mail_from,
    'probe@verified.example.net',
  );
});

test('parseOptions() refuses a probe sender that is not a plain address, before anything is sent', () => {
  refused(
    { domain: 'example.org', test_mail_from: 'probe@example.net>\r\nRCPT TO:<x@y>' },
    'test_mail_from',
    /^Probe sender ".*" contains/,
  );
  refused(
    { domain: 'example.org', test_mail_from: 'no-at-sign' },
    'test_mail_from',
    /not an address of the form local@domain/,
  );
  refused({ domain: 'example.org', test_mail_from: 42 }, 'test_mail_from', /must be a string/);
});

test('parseOptions() accepts strings for numbers and bools, as hosts send them', () => {
  const o = parseOptions({
    domain: 'example.org',
    timeout: '7.5',
    test_null_sender: 'false',
    test_postmaster: 'TRUE',
    test_open_relay: 0,
  });
  assert.equal(o.timeout, 7.5);
  assert.equal(o.test_null_sender, false);
  assert.equal(o.test_postmaster, true);
  assert.equal(o.test_open_relay, false);
});

test('parseOptions() treats empty strings and null as "use the default"', () => {
  const o = parseOptions({ domain: 'example.org', timeout: '', helo_name: null, test_open_relay: '' });
  assert.equal(o.timeout, 12);
  assert.equal(o.helo_name, DEFAULT_HELO_NAME);
  assert.equal(o.test_open_relay, true);
});

test('parseOptions() converts IDN domains to A-labels', () => {
  assert.equal(parseOptions({ domain: 'bücher.example' }).domain, 'xn--bcher-kva.example');
});

test('parseOptions() requires a domain', () => {
  refused({}, 'domain', /required/);
  refused({ domain: '   ' }, 'domain', /required/);
});

test('parseOptions() refuses SMTP metacharacters in every string option', () => {
  const nasty = [
    'example.org\r\nRCPT TO:<x@y>',
    'example.org\n',
    'exa\0mple.org',
    '<example.org>',
    'example .org',
    'exa\tmple.org',
  ];
  for (const bad of nasty) {
    refused({ domain: bad }, 'domain', /contains/);
    refused({ domain: 'example.org', helo_name: bad }, 'helo_name', /contains/);
    refused({ domain: 'example.org', test_probe_address: `x@${bad}` }, 'test_probe_address', /contains/);
  }
  refused({ domain: 'example.org', test_probe_address: 'a b@example.net' }, 'test_probe_address', /space/);
  refused({ domain: 'example.org', test_probe_address: '"quoted"@example.net' }, 'test_probe_address', /local part/);
});

test('parseOptions() names invisible characters by code point and escapes them in the quoted value', () => {
  const cases: [string, RegExp][] = [
    ['exa\u007fmple.org', /^Domain "exa\\u007fmple\.org" contains the control character U\+007F\.$/],
    ['exa\u2028mple.org', /^Domain "exa\\u2028mple\.org" contains a white-space character \(U\+2028\)\.$/],
    ['exa\u00a0mple.org', /contains a white-space character \(U\+00A0\)/],
    ['exa\u0085mple.org', /^Domain "exa\\u0085mple\.org" /],
  ];
  for (const [bad, message] of cases) refused({ domain: bad }, 'domain', message);
});

test('parseOptions() refuses malformed host names with the reason', () => {
  refused({ domain: '192.0.2.1' }, 'domain', /IP address/);
  refused({ domain: 'a..b' }, 'domain', /empty label/);
  refused({ domain: '-a.example' }, 'domain', /invalid label/);
  refused({ domain: 'under_score.example' }, 'domain', /invalid label/);
  refused({ domain: `${'a'.repeat(64)}.example` }, 'domain', /longer than 63/);
  refused({ domain: `${'abcdefghi.'.repeat(26)}example` }, 'domain', /longer than 253/);
  refused({ domain: 'example.123' }, 'domain', /all-numeric/);
  refused({ domain: 'example.org', test_probe_address: 'nobody' }, 'test_probe_address', /local@domain/);
});

test('parseOptions() refuses numbers and bools it cannot read', () => {
  refused({ domain: 'example.org', timeout: 'soon' }, 'timeout', /must be a number/);
  refused({ domain: 'example.org', timeout: 0 }, 'timeout', /between 1 and 300/);
  refused({ domain: 'example.org', timeout: 301 }, 'timeout', /between 1 and 300/);
  refused({ domain: 'example.org', test_open_relay: 'maybe' }, 'test_open_relay', /true or false/);
  refused({ domain: 'example.org', helo_name: 42 }, 'helo_name', /must be a string/);
  refused({ domain: ['example.org'] }, 'domain', /must be a string, got a list/);
});

test('parseOptions() replaces a probe address inside the tested domain', () => {
  const inside = parseOptions({ domain: 'example.org', test_probe_address: 'someone@mail.example.org' });
  assert.equal(inside.test_probe_address, DEFAULT_PROBE_ADDRESS);
  assert.equal(inside.probe_address_replaced, true);
  // The default itself lies inside example.com: an outside fallback is used.
  const own = parseOptions({ domain: 'example.com' });
  assert.equal(own.test_probe_address, 'postmaster@example.net');
  assert.equal(own.probe_address_replaced, true);
  const outside = parseOptions({ domain: 'example.org', test_probe_address: 'relay-test@example.net' });
  assert.equal(outside.test_probe_address, 'relay-test@example.net');
  assert.equal(outside.probe_address_replaced, false);
});
