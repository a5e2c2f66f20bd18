import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { describe, it } from 'node:test';
import { didYouMean, inOwnWords, parseCommandLine } from './args.js';
import { UsageError } from './usage-error.js';

const FLAGS = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  timeout: { type: 'string' },
  mx: { type: 'string', multiple: true },
} as const;

/** The message a command line is refused with (a UsageError), or a failure when it is accepted. */
function refusal(argv: string[]): string {
  try {
    parseCommandLine(argv, FLAGS, { timeout: 'S' });
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err.message;
  }
  assert.fail(`accepted: ${argv.join(' ')}`);
}

describe('didYouMean()', () => {
  it('finds the command or option a typo was meant as', () => {
    const commands = ['check', 'demo', 'serve'];
    assert.equal(didYouMean('chek', commands), 'check');
    assert.equal(didYouMean('CHECK', commands), 'check');
    assert.equal(didYouMean('srve', commands), 'serve');
    assert.equal(didYouMean('dem', commands), 'demo');
    assert.equal(didYouMean('--jsn', ['--json', '--html', '--help']), '--json');
    assert.equal(didYouMean('--verbos', ['--verbose', '-v']), '--verbose');
    assert.equal(didYouMean('--egress', ['--egress-canary', '--helo']), '--egress-canary', 'the only word it starts');
  });

  it('suggests nothing for a word far from every known one', () => {
    assert.equal(didYouMean('frobnicate', ['check', 'demo', 'serve']), null);
    assert.equal(didYouMean('--x', ['--json', '--html']), null);
    assert.equal(didYouMean('--', ['--json']), null);
  });
});

describe('parseCommandLine()', () => {
  it('parses as parseArgs does when the line is right', () => {
    const { values, positionals } = parseCommandLine(
      ['example.com', '--json', '-v', '--timeout', '3', '--mx', 'a.example', '--mx=b.example'],
      FLAGS,
    );
    assert.deepEqual(positionals, ['example.com']);
    assert.deepEqual({ ...values }, { json: true, verbose: true, timeout: '3', mx: ['a.example', 'b.example'] });
  });

  it('refuses an unknown option in its own words, with the nearest known one', () => {
    const message = refusal(['example.com', '--jsn']);
    assert.equal(message, 'Unknown option "--jsn". Did you mean --json?');
    assert.doesNotMatch(message, /positional|parseArgs|To specify/);
    assert.equal(refusal(['--zzzzzz']), 'Unknown option "--zzzzzz".');
  });

  it('names what a string option wants when its value is missing or is another option', () => {
    assert.equal(refusal(['example.com', '--timeout']), '--timeout needs a value: --timeout S.');
    assert.match(
      refusal(['example.com', '--timeout', '--json']),
      /--timeout needs a value .* the next word is the option "--json"/,
    );
    assert.equal(refusal(['example.com', '--json=yes']), '--json takes no value (got "--json=yes").');
  });

  it('reads a value that merely starts with a dash when it is given inline', () => {
    assert.deepEqual({ ...parseCommandLine(['--timeout=-1'], FLAGS).values }, { timeout: '-1' });
  });
});

describe('inOwnWords()', () => {
  const usage = 'Usage: checker-smtp serve [options]\n  --listen ADDR\n  --port N\n  -h, --help';
  const nodeError = (args: string[]): unknown => {
    try {
      parseArgs({ args, options: { listen: { type: 'string' }, port: { type: 'string' } }, strict: true });
    } catch (err) {
      return err;
    }
    assert.fail('parseArgs accepted it');
  };

  it('puts a parseArgs refusal in our words, with a suggestion from the usage text', () => {
    const unknown = inOwnWords(nodeError(['--lisen', 'x']), usage);
    assert.ok(unknown instanceof UsageError);
    assert.equal(unknown.message, 'Unknown option "--lisen". Did you mean --listen?');
    const positional = inOwnWords(nodeError(['extra']), usage);
    assert.ok(positional instanceof UsageError);
    assert.match(positional.message, /^Unexpected argument "extra"/);
  });

  it('hands back anything that is not a parse error as it was', () => {
    const other = new Error('boom');
    assert.equal(inOwnWords(other, usage), other);
  });
});
