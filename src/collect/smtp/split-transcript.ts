/**
 * Split a shared session's transcript between the domains whose
 * transactions it carried. Each domain gets the lines the whole session
 * shares (greeting, EHLO, STARTTLS, events, QUIT) and its own commands with
 * their replies, never another domain's. Replies are matched to commands the
 * way SMTP orders them: the n-th reply answers the n-th command sent (RFC
 * 2920 keeps that order under pipelining); a reply before any command (the
 * greeting) is shared.
 */
import type { TranscriptLine } from '../../model/observation.js';

/** A reply's last line: code then a space, or the code alone (RFC 5321 §4.2). */
const FINAL_REPLY_LINE = /^\d{3}(?: |$)/;

/**
 * `owned[k]` lists the transcript indices of the command lines member k sent.
 * Returns, per member, the shared lines and its own, in transcript order.
 */
export function splitTranscript(lines: readonly TranscriptLine[], owned: readonly number[][]): TranscriptLine[][] {
  if (owned.length === 1) return [lines as TranscriptLine[]];
  const ownerOfCommand = new Map<number, number>();
  owned.forEach((indices, k) => indices.forEach((i) => ownerOfCommand.set(i, k)));
  /** Owner (member index, or -1 for shared) of each line. */
  const owners: number[] = [];
  /** Owners of commands sent and not yet answered, oldest first. */
  const awaiting: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.dir === 'C') {
      const owner = ownerOfCommand.get(i) ?? -1;
      awaiting.push(owner);
      owners.push(owner);
    } else if (line.dir === 'S') {
      owners.push(awaiting[0] ?? -1);
      if (FINAL_REPLY_LINE.test(line.text)) awaiting.shift();
    } else {
      owners.push(-1);
    }
  }
  return owned.map((_, k) => lines.filter((_, i) => owners[i] === -1 || owners[i] === k));
}
