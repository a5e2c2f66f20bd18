import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { NameSet } from '../model/name-key.js';
import { emptyInputStats, readDomains, type BatchInput } from './domain-source.js';

async function all(text: string, opts: Parameters<typeof readDomains>[1] = {}): Promise<BatchInput[]> {
  const out: BatchInput[] = [];
  for await (const item of readDomains(Readable.from([text]), opts)) out.push(item);
  return out;
}

test('readDomains() skips blank lines and comments, keeps each domain once, with the line it first appeared on', async () => {
  const stats = emptyInputStats();
  const items = await all(
    '\uFEFFa.example\r\n# a comment\r\n\r\n  B.example  # trailing note\nA.EXAMPLE.\nhttps://c.example/#top\n',
    { stats },
  );
  assert.deepEqual(items, [
    { kind: 'domain', line: 1, domain: 'a.example' },
    { kind: 'domain', line: 4, domain: 'b.example' },
    { kind: 'domain', line: 6, domain: 'c.example' },
  ]);
  assert.deepEqual(stats, {
    lines: 6,
    skipped: 2,
    duplicates: 1,
    alreadyDone: 0,
    reduced: { url: 1, email: 0 },
    refused: 0,
  });
});

test('readDomains() hands on lines that name no domain as refusals, each once, cut and sanitized', async () => {
  const long = `${'x'.repeat(400)}..example`;
  const items = await all(`bad..name\nok.example\nbad..name\n${long}\nx\u0007y.example\n`);
  assert.equal(items.length, 4);
  assert.deepEqual(items[0], {
    kind: 'refused',
    line: 1,
    text: 'bad..name',
    error: 'Line 1 names no domain: "bad..name" has an empty label (two dots in a row, or a leading dot).',
  });
  const cut = items[2]!;
  assert.equal(cut.kind, 'refused');
  assert.equal(cut.kind === 'refused' && cut.text.length, 300, 'a long line is kept cut');
  const control = items[3]!;
  assert.equal(control.kind === 'refused' && control.text, 'x\\x07y.example', 'no raw control character');
});

test('readDomains() skips what is already done without holding it twice, and says each reduction', async () => {
  const done = new NameSet();
  done.add('a.example');
  done.add('bad..name');
  const notes: string[] = [];
  const stats = emptyInputStats();
  const items = await all('a.example\njane@a.example\nbad..name\nmailto:x@b.example\n', {
    done,
    stats,
    onReduced: (line, kind, note) => notes.push(`${line} ${kind} ${note}`),
  });
  assert.deepEqual(items, [{ kind: 'domain', line: 4, domain: 'b.example' }]);
  assert.equal(stats.alreadyDone, 3);
  assert.equal(stats.duplicates, 0);
  assert.deepEqual(notes, ['4 email b.example (from mailto:x@b.example)']);
});

test('readDomains() reads the input only as fast as it is consumed (back-pressure down to the stream)', async () => {
  const total = 200_000;
  let produced = 0;
  // A stream that makes its lines on demand and counts them: what was read ahead shows in `produced`.
  const input = new Readable({
    read() {
      if (produced >= total) return this.push(null);
      const lines: string[] = [];
      for (let i = 0; i < 100 && produced < total; i++) lines.push(`d${produced++}.example`);
      this.push(`${lines.join('\n')}\n`);
    },
  });
  let taken = 0;
  for await (const _item of readDomains(input)) {
    if (++taken === 50) break;
  }
  assert.equal(taken, 50);
  assert.ok(produced < 5_000, `read ${produced} of ${total} lines for 50 taken`);
  assert.ok(input.destroyed, 'the stream is closed when the consumer stops');
});
