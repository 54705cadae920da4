import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { countingPieces, countTokens, tokenLimit } from './index.ts';

const whole = createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens(text: string): number;
};

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

  it('counts in pieces: prose cut only where a word starts, long runs every 256 characters', () => {
    const prose =
      'The waterproof version of your model has a membrane lining and a gusseted tongue.\n\n  It costs 149 euros. '.repeat(
        120,
      );
    const pieces = [...countingPieces(prose)];
    assert.equal(pieces.join(''), prose);
    assert.ok(pieces.length > 1 && pieces.every((p, i) => i === 0 || /^\s/.test(p)));
    assert.equal(countTokens(prose), whole.countTokens(prose));
    const run = `see ${'a1b2'.repeat(500)} and ${'’'.repeat(700)}${' '.repeat(600)}end`;
    const cut = [...countingPieces(run)];
    assert.equal(cut.join(''), run);
    const longestRun = Math.max(...cut.flatMap((p) => p.match(/\s+|\S+/g)!.map((w) => w.length)));
    assert.ok(longestRun <= 256, `a run of ${longestRun}`);
    const difference = countTokens(run) - whole.countTokens(run);
    assert.ok(difference >= 0 && difference <= 12, `${difference} tokens more than whole`);
  });

  it('is a request-scope scanner', () => {
    assert.equal(tokenLimit({ maxTokens: 1 }).scope, 'request');
  });
});
