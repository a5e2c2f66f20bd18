import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQueueUrl, parseStoreUrl } from './backend-url.js';

test('parseQueueUrl() reads host, port and database, with Redis defaults', () => {
  assert.deepEqual(parseQueueUrl('redis://127.0.0.1:6380/2'), {
    host: '127.0.0.1',
    port: 6380,
    db: 2,
    display: 'redis://127.0.0.1:6380/2',
  });
  const plain = parseQueueUrl('redis://queue.internal');
  assert.equal(plain.port, 6379);
  assert.equal(plain.db, 0);
  assert.equal(parseQueueUrl('redis://[::1]:7000').host, '::1');
});

test('parseQueueUrl() keeps credentials but never shows the password', () => {
  const q = parseQueueUrl('redis://fleet:s3cret@10.0.0.5:6379/1');
  assert.equal(q.username, 'fleet');
  assert.equal(q.password, 's3cret');
  assert.equal(q.display, 'redis://fleet:***@10.0.0.5:6379/1');
  assert.throws(
    () => parseQueueUrl('redis://fleet:s3cret@10.0.0.5:6379/x'),
    (e: Error) => !e.message.includes('s3cret'),
  );
});

test('parseQueueUrl() refuses other schemes, bad databases and garbage, quoting the value', () => {
  assert.throws(
    () => parseQueueUrl('http://127.0.0.1:6379'),
    /--queue "http:\/\/127.0.0.1:6379\/" is not a redis:\/\/ URL/,
  );
  assert.throws(() => parseQueueUrl('redis://127.0.0.1:6379/999'), /database must be a number from 0 to 255/);
  assert.throws(() => parseQueueUrl('redis://127.0.0.1:6379/a/b'), /got "a\/b"/);
  assert.throws(() => parseQueueUrl('127.0.0.1:6379'), /is not a redis:\/\/ URL|is not a URL/);
  assert.throws(() => parseQueueUrl('not a url'), /--queue "not a url" is not a URL/);
});

test('parseStoreUrl() takes postgres:// and postgresql:// and masks the password', () => {
  assert.equal(parseStoreUrl('postgres://u@127.0.0.1:5432/db').url, 'postgres://u@127.0.0.1:5432/db');
  assert.equal(parseStoreUrl('postgresql://u:pw@h/db').display, 'postgresql://u:***@h/db');
  assert.throws(() => parseStoreUrl('mysql://u@h/db'), /--store "mysql:\/\/u@h\/db" is not a postgres:\/\/ URL/);
});
