import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TranscriptLine } from '../../model/observation.js';
import { splitTranscript } from './split-transcript.js';

const line = (dir: TranscriptLine['dir'], text: string): TranscriptLine => ({ t: 0, dir, text });

test('splitTranscript() gives each member the shared lines and the replies to its own commands, in order', () => {
  const lines = [
    line('*', 'connected'),
    line('S', '220-mx.example ESMTP'),
    line('S', '220 ready'),
    line('C', 'EHLO checker'),
    line('S', '250-mx.example'),
    line('S', '250 PIPELINING'),
    line('C', 'RCPT TO:<postmaster@a.example>'), // 6: member 0
    line('C', 'RCPT TO:<postmaster@b.example>'), // 7: member 1
    line('C', 'QUIT'),
    line('S', '250 2.1.5 Ok'),
    line('S', '550-5.1.1 <postmaster@b.example>:'),
    line('S', '550 5.1.1 User unknown'),
    line('S', '221 Bye'),
  ];
  const [a, b] = splitTranscript(lines, [[6], [7]]);
  const shared = [0, 1, 2, 3, 4, 5, 8, 12].map((i) => lines[i]!);
  assert.deepEqual(a, [...shared.slice(0, 6), lines[6], lines[8], lines[9], lines[12]]);
  assert.deepEqual(b, [...shared.slice(0, 6), lines[7], lines[8], lines[10], lines[11], lines[12]]);
});

test('splitTranscript() hands a single member the transcript as it is', () => {
  const lines = [line('S', '220 ready'), line('C', 'QUIT'), line('S', '221 Bye')];
  assert.equal(splitTranscript(lines, [[]])[0], lines);
});
