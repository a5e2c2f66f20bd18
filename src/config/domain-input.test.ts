import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainFromInput } from './domain-input.js';
import { parseOptions } from './options.js';

describe('domainFromInput()', () => {
  it('reduces a pasted web address, mail address, trailing dot or spaces to the domain, keeping what it came from', () => {
    const cases: [string, string][] = [
      ['https://shop.example/path', 'shop.example'],
      ['http://shop.example:8080/cart?x=1#top', 'shop.example'],
      ['https://user:secret@shop.example/', 'shop.example'],
      ['smtp://mx.shop.example:25', 'mx.shop.example'],
      ['user@shop.example', 'shop.example'],
      ['mailto:user@shop.example', 'shop.example'],
      ['<user@shop.example>', 'shop.example'],
      ['"odd@local"@shop.example', 'shop.example'],
      ['shop.example.', 'shop.example'],
      ['  shop.example \t', 'shop.example'],
      ['shop.example/contact', 'shop.example'],
      ['Shop.Example:25', 'Shop.Example'],
    ];
    for (const [input, domain] of cases) assert.deepEqual(domainFromInput(input), { domain, from: input }, input);
  });

  it('leaves a plain domain alone and says nothing was taken from it', () => {
    for (const input of ['shop.example', 'xn--bcher-kva.example', 'a.b.c.example'])
      assert.deepEqual(domainFromInput(input), { domain: input, from: null });
  });

  it('hands what is no domain to validation untouched, to be refused there by name', () => {
    for (const input of ['', '   ', 'https://', 'user@', 'evil.example\r\nRCPT TO:<x@y>', 'a\u0000b.example'])
      assert.deepEqual(domainFromInput(input), { domain: input, from: null }, JSON.stringify(input));
    // What is left is still judged as a domain: an IPv6 URL is no domain.
    const v6 = domainFromInput('https://[2001:db8::1]/');
    assert.throws(() => parseOptions({ domain: v6.domain }), /domain/i);
  });

  it('is idempotent: a reduced domain reduces to itself', () => {
    for (const input of ['https://shop.example/path', 'user@shop.example', 'shop.example.'])
      assert.deepEqual(domainFromInput(domainFromInput(input).domain), {
        domain: 'shop.example',
        from: null,
      });
  });
});
