import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { canary, findCanary } from './index.ts';

const token = 'bwk-1f2e3d4c5b6a7988';
const ctx = (c?: string): ScanContext => ({
  direction: 'output',
  state: { requestId: 'r', vault: new Map(), ...(c ? { canary: c } : {}) },
});

describe('canary', () => {
  it('finds the token verbatim, upper-cased, spaced out, or split by invisibles and punctuation', () => {
    for (const leak of [
      token,
      token.toUpperCase(),
      token.split('').join(' '),
      token.split('').join('\u200b'),
      'bwk_1f2e-3d4c.5b6a 7988',
    ]) {
      const text = `The marker is ${leak}!`;
      const f = findCanary(text, token);
      assert.equal(f.length, 1, leak);
      assert.equal(text.slice(f[0]!.start, f[0]!.end), leak);
    }
  });

  it('true negatives: other tokens, partial tokens, no canary in the state', async () => {
    assert.deepEqual(findCanary('bwk-1f2e3d4c5b6a7989', token), []);
    assert.deepEqual(findCanary('bwk-1f2e3d4c', token), []);
    assert.equal((await canary().scan(`leak ${token}`, ctx())).score, 0);
    assert.equal((await canary().scan(`leak ${token}`, ctx(token))).score, 1);
  });
});
