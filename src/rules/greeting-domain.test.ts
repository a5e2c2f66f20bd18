import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reply } from '../model/observation.js';
import { greetingDomain } from './greeting-domain.js';

const greeting = (...lines: string[]): Reply => ({ code: 220, enhanced: null, lines });

describe('greetingDomain()', () => {
  it('accepts a host name, an address literal or the like first, whatever follows', () => {
    for (const line of [
      '220 mx1.example.com ESMTP Postfix (Debian/GNU)',
      '220 mx1.example.com',
      '220 MX1.Example.COM. ESMTP',
      '220 mail_relay.corp.example ESMTP',
      '220 mx1.example.com, ESMTP ready',
      '220 localhost ESMTP',
      '220 192.0.2.1 ESMTP',
      '220 xn--bcher-kva.example ESMTP',
    ]) {
      assert.equal(greetingDomain(greeting(line)), 'domain', line);
    }
    assert.equal(greetingDomain(greeting('220 [192.0.2.1] ESMTP')), 'address_literal');
    assert.equal(greetingDomain(greeting('220 [IPv6:2001:db8::1]')), 'address_literal');
  });

  it('reads the domain from the first line of a multi-line greeting (RFC 5321 §4.2)', () => {
    assert.equal(greetingDomain(greeting('220-mx1.example.com ESMTP', '220 ********')), 'domain');
    assert.equal(greetingDomain(greeting('220-Welcome!', '220 mx1.example.com ESMTP')), 'missing');
  });

  it('tells a banner masked by a firewall (asterisks, with the 0s and 2s it keeps) from one without a name', () => {
    for (const line of [
      '220 ********************',
      '220 ***************************0****0*2***0*0****2*0*0*****0**0***',
      '220-****** ****',
    ]) {
      assert.equal(greetingDomain(greeting(line)), 'masked', line);
    }
    for (const line of [
      '220',
      '220 ',
      '220 ESMTP Postfix',
      '220 smtp ready',
      '220 Welcome!',
      '220 <mx1.example.com>',
      '220 -- mx1.example.com',
    ]) {
      assert.equal(greetingDomain(greeting(line)), 'missing', line);
    }
    assert.equal(greetingDomain(greeting(`220 ${'a.'.repeat(200)}com`)), 'missing', 'longer than a host name can be');
  });
});
