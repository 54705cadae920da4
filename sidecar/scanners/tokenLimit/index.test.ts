import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { countTokens, tokenLimit } from './index.ts';

const ctx: ScanContext = { direction: 'input', state: { requestId: 'r', vault: new Map() } };

describe('tokenLimit', () => {
  it('counts real BPE tokens (o200k_base and cl100k_base)', () => {
    assert.equal(countTokens('hello world'), 2);
    assert.equal(countTokens('hello world', 'cl100k_base'), 2);
    // Non-Latin text costs more tokens than characters suggest in older encodings.
    assert.ok(countTokens('こんにちは世界', 'cl100k_base') > 2);
  });

  it('fires above the limit only', async () => {
    const s = tokenLimit({ maxTokens: 10 });
    assert.equal((await s.scan('short prompt', ctx)).score, 0);
    const long = 'word '.repeat(50);
    const r = await s.scan(long, ctx);
    assert.equal(r.score, 1);
    assert.equal(r.findings[0]!.kind, 'tokens>10');
  });

  it('a text of many characters but few tokens passes (no character-count shortcut in that direction)', async () => {
    const s = tokenLimit({ maxTokens: 20 });
    assert.equal((await s.scan('a'.repeat(64), ctx)).score, 0);
  });

  it('is a request-scope scanner', () => {
    assert.equal(tokenLimit({ maxTokens: 1 }).scope, 'request');
  });
});
