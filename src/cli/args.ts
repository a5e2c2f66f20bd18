/**
 * Command lines read in our own words: an unknown option or command gets the
 * nearest known one ("--jsn": did you mean --json?), a missing value names
 * the option and what it wants, and nothing of Node's parseArgs wording
 * (positional arguments, "-- \"--jsn\"") reaches the user. Node's parseArgs
 * still does the parsing; we only check its tokens first.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { distance } from 'fastest-levenshtein';
import { quote } from '../model/text.js';
import { UsageError } from './usage-error.js';

export type FlagSpecs = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives for these options: typed values, and the positionals. */
export type ParsedCommandLine<T extends FlagSpecs> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/**
 * The known word `word` was probably meant as, or null: the nearest by edit
 * distance when it is within a typo of it (one edit for short words, one
 * per three letters beyond), or the only known word it starts.
 */
export function didYouMean(word: string, known: readonly string[]): string | null {
  const bare = (w: string) => w.replace(/^-+/, '').toLowerCase();
  const w = bare(word);
  if (w === '') return null;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(w, bare(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best !== null && bestDistance <= Math.max(1, Math.floor(bare(best).length / 3))) return best;
  const prefixed = known.filter((k) => bare(k).startsWith(w));
  return prefixed.length === 1 ? prefixed[0]! : null;
}

function suggestion(word: string, known: readonly string[]): string {
  const guess = didYouMean(word, known);
  return guess === null ? '' : ` Did you mean ${guess}?`;
}

/** Every spelling of the options: "--json", "-h"… */
function spellings(options: FlagSpecs): string[] {
  return Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/**
 * Parse `argv` for a command with these options (and any positionals),
 * refusing in our own words what parseArgs would refuse in its own.
 * `valueNames` names what a string option takes ("S", "FILE") for messages.
 */
export function parseCommandLine<const T extends FlagSpecs>(
  argv: string[],
  options: T,
  valueNames: Partial<Record<keyof T & string, string>> = {},
): ParsedCommandLine<T> {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const known = spellings(options);
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    const shown = t.inlineValue ? `${t.rawName}=${t.value ?? ''}` : t.rawName;
    if (spec === undefined) throw new UsageError(`Unknown option ${quote(shown)}.${suggestion(t.rawName, known)}`);
    const wants = `--${t.name} ${valueNames[t.name as keyof T & string] ?? 'VALUE'}`;
    if (spec.type === 'boolean' && t.inlineValue)
      throw new UsageError(`${t.rawName} takes no value (got ${quote(shown)}).`);
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`${t.rawName} needs a value: ${wants}.`);
    if (spec.type === 'string' && !t.inlineValue && t.value !== undefined && /^--?[a-z]/i.test(t.value))
      throw new UsageError(
        `${t.rawName} needs a value (${wants}), but the next word is the option ${quote(t.value)}; write ${t.rawName}=${t.value} if that is the value.`,
      );
  }
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/**
 * A parse error of Node's parseArgs (a command that parses its own flags,
 * such as serve) in our words, with a suggestion from the command's usage
 * text; anything else comes back as it was.
 */
export function inOwnWords(err: unknown, usage: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return err;
  const known = [...new Set(usage.match(/(?<![\w-])--?[a-z][a-z0-9-]*/gi) ?? [])];
  const named = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && named)
    return new UsageError(`Unknown option ${quote(named)}.${suggestion(named, known)}`, { cause: err });
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && named)
    return new UsageError(
      /does not take an argument/.test(message) ? `${named} takes no value.` : `${named} needs a value.`,
      { cause: err },
    );
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const word = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new UsageError(`Unexpected argument ${quote(word)}: this command takes options only.`, { cause: err });
  }
  return new UsageError('The command line could not be read.', { cause: err });
}
