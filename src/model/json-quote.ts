/**
 * Quoting a value someone typed, or a server sent, back into a message for
 * people: as a JSON string, so CR, LF, NUL and the other C0 controls show as
 * escapes. JSON leaves DEL, the C1 controls and the Unicode line separators
 * raw; those could drive a terminal or split a log line, so they are escaped
 * too.
 */
const LEFT_RAW_BY_JSON = /[\u007f-\u009f\u2028\u2029]/g;

export function jsonQuote(value: string): string {
  return JSON.stringify(value).replace(
    LEFT_RAW_BY_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
