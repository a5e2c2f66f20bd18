import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply } from '../../model/observation.js';
import { hasExtension, parseExtensions } from './extensions.js';

function reply(lines: string[], code = 250): Reply {
  return { code, enhanced: null, lines };
}

describe('parseExtensions()', () => {
  it('parseExtensions() reads a Postfix EHLO reply', () => {
    const ext = parseExtensions(
      reply([
        '250-mx.example.com',
        '250-PIPELINING',
        '250-SIZE 10240000',
        '250-VRFY',
        '250-ETRN',
        '250-STARTTLS',
        '250-ENHANCEDSTATUSCODES',
        '250-8BITMIME',
        '250-DSN',
        '250-SMTPUTF8',
        '250 CHUNKING',
      ]),
    );
    assert.deepEqual(ext, {
      keywords: [
        'PIPELINING',
        'SIZE',
        'VRFY',
        'ETRN',
        'STARTTLS',
        'ENHANCEDSTATUSCODES',
        '8BITMIME',
        'DSN',
        'SMTPUTF8',
        'CHUNKING',
      ],
      params: {
        PIPELINING: [],
        SIZE: ['10240000'],
        VRFY: [],
        ETRN: [],
        STARTTLS: [],
        ENHANCEDSTATUSCODES: [],
        '8BITMIME': [],
        DSN: [],
        SMTPUTF8: [],
        CHUNKING: [],
      },
      size: 10240000,
      auth: [],
    });
  });

  it('parseExtensions() reads an Exim EHLO reply with AUTH', () => {
    const ext = parseExtensions(
      reply([
        '250-mail.example.org Hello client.example.net [192.0.2.7]',
        '250-SIZE 52428800',
        '250-8BITMIME',
        '250-PIPELINING',
        '250-PIPE_CONNECT',
        '250-AUTH PLAIN LOGIN CRAM-MD5',
        '250-CHUNKING',
        '250-STARTTLS',
        '250-PRDR',
        '250 HELP',
      ]),
    );
    assert.deepEqual(ext.keywords, [
      'SIZE',
      '8BITMIME',
      'PIPELINING',
      'PIPE_CONNECT',
      'AUTH',
      'CHUNKING',
      'STARTTLS',
      'PRDR',
      'HELP',
    ]);
    assert.equal(ext.size, 52428800);
    assert.deepEqual(ext.auth, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
    assert.deepEqual(ext.params['AUTH'], ['PLAIN', 'LOGIN', 'CRAM-MD5']);
  });

  it('parseExtensions() reads an Exchange EHLO reply with X- keywords and both AUTH forms', () => {
    const ext = parseExtensions(
      reply([
        '250-EXCH01.corp.example.com Hello [192.0.2.7]',
        '250-SIZE 37748736',
        '250-PIPELINING',
        '250-DSN',
        '250-ENHANCEDSTATUSCODES',
        '250-STARTTLS',
        '250-X-ANONYMOUSTLS',
        '250-AUTH NTLM',
        '250-AUTH=LOGIN',
        '250-X-EXPS GSSAPI NTLM',
        '250-8BITMIME',
        '250-BINARYMIME',
        '250-CHUNKING',
        '250 XRDST',
      ]),
    );
    assert.deepEqual(
      ext.keywords.filter((k) => k === 'AUTH'),
      ['AUTH'],
    );
    assert.deepEqual(ext.auth, ['NTLM', 'LOGIN']);
    assert.deepEqual(ext.params['X-EXPS'], ['GSSAPI', 'NTLM']);
    assert.ok(ext.keywords.includes('X-ANONYMOUSTLS'));
    assert.ok(ext.keywords.includes('XRDST'));
  });

  it('parseExtensions() merges the legacy AUTH= form into AUTH, once, in order', () => {
    const ext = parseExtensions(reply(['250-mx', '250-AUTH PLAIN LOGIN', '250-AUTH=LOGIN PLAIN', '250 auth=xoauth2']));
    assert.deepEqual(ext.keywords, ['AUTH']);
    assert.deepEqual(ext.auth, ['PLAIN', 'LOGIN', 'XOAUTH2']);
    assert.deepEqual(ext.params['AUTH'], ['PLAIN', 'LOGIN', 'xoauth2']);
  });

  it('parseExtensions() takes AUTH= alone as the keyword without a mechanism', () => {
    const ext = parseExtensions(reply(['250-mx', '250 AUTH= PLAIN']));
    assert.deepEqual(ext.keywords, ['AUTH']);
    assert.deepEqual(ext.auth, ['PLAIN']);
  });

  it('parseExtensions() upper-cases AUTH mechanisms but keeps params verbatim', () => {
    const ext = parseExtensions(reply(['250-mx', '250 auth plain Login']));
    assert.deepEqual(ext.auth, ['PLAIN', 'LOGIN']);
    assert.deepEqual(ext.params['AUTH'], ['plain', 'Login']);
  });

  it('parseExtensions() finds no extensions in a single-line reply', () => {
    assert.deepEqual(parseExtensions(reply(['250 mx.example.com Hello'])), {
      keywords: [],
      params: {},
      size: null,
      auth: [],
    });
  });

  it('parseExtensions() finds no extensions in a refused EHLO', () => {
    const ext = parseExtensions(reply(['502-5.5.1 Unrecognized', '502 STARTTLS'], 502));
    assert.deepEqual(ext.keywords, []);
  });

  it('parseExtensions() ignores trailing spaces, tabs and empty lines', () => {
    const ext = parseExtensions(reply(['250-mx ', '250-SIZE   1000  ', '250-\t', '250-', '250 STARTTLS\t']));
    assert.deepEqual(ext.keywords, ['SIZE', 'STARTTLS']);
    assert.deepEqual(ext.params['SIZE'], ['1000']);
    assert.equal(ext.size, 1000);
  });

  it('parseExtensions() upper-cases lower-case keywords', () => {
    const ext = parseExtensions(reply(['250-mx', '250-starttls', '250-Pipelining', '250 x-foo Bar']));
    assert.deepEqual(ext.keywords, ['STARTTLS', 'PIPELINING', 'X-FOO']);
    assert.deepEqual(ext.params['X-FOO'], ['Bar']);
  });

  it('parseExtensions() lists a duplicated keyword once and keeps the first SIZE', () => {
    const ext = parseExtensions(reply(['250-mx', '250-SIZE 2000', '250-STARTTLS', '250-size 1000', '250 STARTTLS']));
    assert.deepEqual(ext.keywords, ['SIZE', 'STARTTLS']);
    assert.deepEqual(ext.params['SIZE'], ['2000', '1000']);
    assert.equal(ext.size, 2000);
  });

  describe('SIZE', () => {
    const cases: [string, number | null][] = [
      ['250 SIZE 0', 0],
      ['250 SIZE 35882577', 35882577],
      ['250 SIZE', null],
      ['250 SIZE unlimited', null],
      ['250 SIZE -1', null],
      ['250 SIZE 1e6', null],
      ['250 SIZE 10.5', null],
      ['250 SIZE 99999999999999999999', null],
    ];
    for (const [line, expected] of cases) {
      it(`parseExtensions() reads ${JSON.stringify(line)} as size ${String(expected)}`, () => {
        const ext = parseExtensions(reply(['250-mx', line]));
        assert.equal(ext.size, expected);
        assert.deepEqual(ext.keywords, ['SIZE']);
      });
    }
  });

  it('parseExtensions() keeps odd keywords verbatim and inert', () => {
    const ext = parseExtensions(reply(['250-mx', '250-__proto__ x', '250-CONSTRUCTOR', '250 XSTRASSE ß']));
    assert.deepEqual(ext.keywords, ['__PROTO__', 'CONSTRUCTOR', 'XSTRASSE']);
    assert.deepEqual(ext.params['__PROTO__'], ['x']);
    assert.deepEqual(ext.params['XSTRASSE'], ['ß']);
    assert.equal(Object.getPrototypeOf(ext.params), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(ext)), ext);
  });

  it('parseExtensions() keeps non-ASCII letters of a keyword as sent', () => {
    const ext = parseExtensions(reply(['250-mx', '250 xstraße']));
    assert.deepEqual(ext.keywords, ['XSTRAßE']);
  });
});

describe('hasExtension()', () => {
  const ext = parseExtensions(reply(['250-mx', '250-STARTTLS', '250 AUTH=LOGIN']));

  it('hasExtension() matches keywords in any case', () => {
    assert.equal(hasExtension(ext, 'STARTTLS'), true);
    assert.equal(hasExtension(ext, 'starttls'), true);
    assert.equal(hasExtension(ext, 'auth'), true);
  });

  it('hasExtension() is false for a keyword not advertised or without an EHLO', () => {
    assert.equal(hasExtension(ext, 'PIPELINING'), false);
    assert.equal(hasExtension(null, 'STARTTLS'), false);
  });
});
