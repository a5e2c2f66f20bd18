/**
 * Inputs the fuzz suites share: what a user, a host or a server could put in
 * a value meant to be a name or an address.
 */
import fc from 'fast-check';

/** Characters that end, split or smuggle a command, and look-alikes that are easy to miss. */
export const hostileCharacter = fc.constantFrom(
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  ' ',
  '\t',
  '<',
  '>',
  '@',
  '.',
  '..',
  '[',
  ']',
  ':',
  '"',
  '\\',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u200b',
  '\ufeff',
  'é',
  'ß',
  'xn--',
);

/** A valid value, or one with something hostile or random spliced in somewhere. */
export function spliced(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    valid,
    fc
      .tuple(valid, fc.oneof(hostileCharacter, fc.string({ unit: 'binary', maxLength: 4 })), fc.nat())
      .map(([text, insert, at]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i);
      }),
  );
}

/** Free text, names and addresses, each also with something spliced in. */
export const typedValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  spliced(fc.domain()),
  spliced(fc.emailAddress()),
  spliced(fc.ipV4().map((ip) => `[${ip}]`)),
  spliced(fc.ipV6().map((ip) => `[IPv6:${ip}]`)),
  fc.domain().map((d) => ` ${d} `),
  fc.stringMatching(/^[a-z0-9-]{1,70}(\.[a-z0-9-]{1,70}){0,4}\.?$/),
);
