import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openFileOutput, readLineFile, streamWriter } from './batch-output.js';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checker-smtp-out-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'openFileOutput() appends whole lines at once and numbers them',
  withDir(async (dir) => {
    const path = join(dir, 'out.jsonl');
    const { writer, existing } = await openFileOutput(path, { resume: false });
    assert.deepEqual(existing, { lines: 0, truncatedBytes: 0 });
    assert.equal(writer.write(['{"a":1}', '{"b":2}']), 1);
    assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n{"b":2}\n', 'on disk as soon as write() returns');
    assert.equal(writer.write(['{"c":3}']), 3);
    assert.equal(writer.lines, 3);
    await writer.close();
  }),
);

test(
  'openFileOutput() refuses to start over a file that holds results unless resuming',
  withDir(async (dir) => {
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, '{"a":1}\n');
    await assert.rejects(openFileOutput(path, { resume: false }), /already holds results: add --resume/);
    assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n', 'left as it was');
  }),
);

test(
  'openFileOutput() on resume hands on every complete line, drops a cut last line and appends after it',
  withDir(async (dir) => {
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, '{"a":1}\n{"b":2}\n{"c":');
    const seen: [string, number][] = [];
    const { writer, existing } = await openFileOutput(path, {
      resume: true,
      onLine: (text, n) => seen.push([text, n]),
    });
    assert.deepEqual(existing, { lines: 2, truncatedBytes: 5 });
    assert.deepEqual(seen, [
      ['{"a":1}', 1],
      ['{"b":2}', 2],
    ]);
    assert.equal(writer.write(['{"c":3}']), 3);
    await writer.close();
    assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n{"b":2}\n{"c":3}\n');
  }),
);

test(
  'openFileOutput() on resume of a file with no newline at all starts it over',
  withDir(async (dir) => {
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, 'x'.repeat(100_000));
    const { writer, existing } = await openFileOutput(path, { resume: true });
    assert.deepEqual(existing, { lines: 0, truncatedBytes: 100_000 });
    writer.write(['{"a":1}']);
    await writer.close();
    assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n');
  }),
);

test(
  'openFileOutput() names a directory that cannot be written',
  withDir(async (dir) => {
    await assert.rejects(
      openFileOutput(join(dir, 'missing', 'out.jsonl'), { resume: false }),
      /^CheckerError: Cannot write the results to ".*out\.jsonl": .* \(ENOENT\)\.$/,
    );
  }),
);

test('streamWriter() writes lines to a stream and numbers them', async () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString()));
  const w = streamWriter(stream);
  assert.equal(w.write(['1', '2']), 1);
  assert.equal(w.write(['3']), 3);
  await w.close();
  assert.equal(text, '1\n2\n3\n');
});

test(
  'readLineFile() streams a file line by line and names a missing one',
  withDir(async (dir) => {
    const path = join(dir, 'prev.jsonl');
    writeFileSync(path, 'a\nb\n');
    const lines: string[] = [];
    assert.equal(await readLineFile(path, (t, n) => lines.push(`${n}:${t}`)), 2);
    assert.deepEqual(lines, ['1:a', '2:b']);
    await assert.rejects(
      readLineFile(join(dir, 'nope.jsonl'), () => undefined),
      /Cannot read ".*nope\.jsonl": no such file \(ENOENT\)\./,
    );
  }),
);
