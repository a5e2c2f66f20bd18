/**
 * The ESMTP extension inventory of one EHLO reply (RFC 5321 §4.1.1.1):
 * first line the server's name, then one keyword and its parameters per line.
 */
import type { Extensions, Reply } from '../../model/observation.js';

/** ASCII whitespace only: params are protocol tokens, and U+00A0 and friends are text. */
const WHITESPACE = /[\t\n\v\f\r ]+/;

/** The pre-RFC 2554 form some servers still send for old Outlook clients: "AUTH=LOGIN PLAIN". */
const LEGACY_AUTH = /^AUTH=/i;

/** ASCII-only upper-casing: toUpperCase() would turn "ß" into "SS" and change what the server sent. */
function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

export function parseExtensions(reply: Reply): Extensions {
  const params = new Map<string, string[]>();

  // A refused EHLO (4xx/5xx) advertises nothing, whatever its lines say.
  const lines = reply.code >= 200 && reply.code < 300 ? reply.lines.slice(1) : [];
  for (const line of lines) {
    // Past "250-" / "250 ": the parser guarantees code and separator.
    const words = line
      .slice(4)
      .split(WHITESPACE)
      .filter((word) => word !== '');
    let [keyword, ...rest] = words;
    if (keyword === undefined) continue;
    if (LEGACY_AUTH.test(keyword)) {
      const first = keyword.slice('AUTH='.length);
      rest = first === '' ? rest : [first, ...rest];
      keyword = 'AUTH';
    }
    keyword = asciiUpper(keyword);

    // A keyword advertised twice (both AUTH forms, a repeated SIZE) is listed
    // once, where it first appeared; its params merge, repeats dropped.
    const known = params.get(keyword) ?? [];
    for (const param of rest) if (!known.includes(param)) known.push(param);
    params.set(keyword, known);
  }

  const auth: string[] = [];
  for (const mechanism of params.get('AUTH') ?? []) {
    const upper = asciiUpper(mechanism);
    if (!auth.includes(upper)) auth.push(upper);
  }

  return {
    keywords: [...params.keys()],
    // fromEntries defines own properties, so even a "__PROTO__"-ish keyword stays data.
    params: Object.fromEntries(params),
    size: sizeOf(params.get('SIZE')),
    auth,
  };
}

/** RFC 1870: SIZE's first param is the limit in octets, 0 meaning none declared. */
function sizeOf(params: string[] | undefined): number | null {
  const first = params?.[0];
  if (first === undefined || !/^[0-9]+$/.test(first)) return null;
  const size = Number(first);
  return Number.isSafeInteger(size) ? size : null;
}

/** Whether the keyword (any case) was advertised; false when there was no EHLO. */
export function hasExtension(ext: Extensions | null, keyword: string): boolean {
  return ext !== null && ext.keywords.includes(asciiUpper(keyword));
}
