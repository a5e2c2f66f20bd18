import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckerError } from '../model/errors.js';
import { MAX_MX_TARGETS } from '../model/limits.js';
import { parseMxHosts } from './mx-hosts.js';

describe('parseMxHosts()', () => {
  it('takes names and IP addresses, each with an optional port, preferences in the order given', () => {
    assert.deepEqual(parseMxHosts('mx1.example.com, mx2.example.com:2525,192.0.2.1,[2001:db8::1]:587,2001:db8::2'), [
      { preference: 10, exchange: 'mx1.example.com' },
      { preference: 20, exchange: 'mx2.example.com', port: 2525 },
      { preference: 30, exchange: '192.0.2.1' },
      { preference: 40, exchange: '2001:db8::1', port: 587 },
      { preference: 50, exchange: '2001:db8::2' },
    ]);
  });

  it('normalises a name as validation does (lower case, no trailing dot) and an IPv6 address to lower case', () => {
    assert.deepEqual(parseMxHosts('MX.Example.COM.,[2001:DB8::A]'), [
      { preference: 10, exchange: 'mx.example.com' },
      { preference: 20, exchange: '2001:db8::a' },
    ]);
  });

  it('refuses a bad item with a setting.invalid error quoting it', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['mx1.example.com,,mx2.example.com', /empty item/],
      ['mx.example.com:0', /"mx\.example\.com:0".*between 1 and 65535, got "0"/],
      ['mx.example.com:smtp', /got "smtp"/],
      ['[mx.example.com]:25', /"mx\.example\.com" is not an IPv6 address/],
      ['bad_host!.example', /"bad_host!\.example"/],
      ['mx.example.com,MX.example.com', /"mx\.example\.com" is given twice/],
      [Array.from({ length: MAX_MX_TARGETS + 1 }, (_, i) => `mx${i}.example.com`).join(','), /at most/],
    ];
    for (const [input, reason] of cases) {
      assert.throws(
        () => parseMxHosts(input),
        (err: unknown) => err instanceof CheckerError && err.code === 'setting.invalid' && reason.test(err.message),
        input,
      );
    }
  });
});
