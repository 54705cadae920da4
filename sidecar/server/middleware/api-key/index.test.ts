import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKeyFileError, matchApiKey, parseApiKeys } from './index.ts';

test('parses id:key lines, keeps only digests, matches in constant time', () => {
  const store = parseApiKeys('# comment\nfrontend:sk-frontend-123\n\nbatch:sk-batch-4567\n');
  assert.deepEqual(
    store.entries.map((e) => e.id),
    ['frontend', 'batch'],
  );
  assert.doesNotMatch(JSON.stringify(store), /sk-frontend/);
  assert.equal(matchApiKey(store, 'sk-batch-4567'), 'batch');
  assert.equal(matchApiKey(store, 'sk-batch-456'), undefined);
});

test('rejects malformed files without quoting the key', () => {
  assert.throws(
    () => parseApiKeys('no-colon-here-secret'),
    (err: unknown) => {
      assert.ok(err instanceof ApiKeyFileError);
      assert.doesNotMatch((err as Error).message, /secret/);
      return true;
    },
  );
  assert.throws(() => parseApiKeys('a:short'), ApiKeyFileError);
  assert.throws(() => parseApiKeys('a:sk-12345678\na:sk-87654321'), /duplicate/);
});
