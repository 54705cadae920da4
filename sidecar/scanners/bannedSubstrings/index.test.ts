import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { bannedSubstrings } from './index.ts';

const ctx: ScanContext = { direction: 'input', state: { requestId: 'r', vault: new Map() } };

describe('bannedSubstrings', () => {
  const s = bannedSubstrings({ substrings: ['Project Nightingale', 'internal use only'] });

  it('matches case-insensitively through look-alikes, invisibles and extra whitespace', async () => {
    for (const text of [
      'what is project nightingale?',
      'PROJECT  NIGHTINGALE leaked',
      'Prоject Nightingale', // Cyrillic о
      'Project Night\u200bingale',
      'marked Internal\nUse Only',
    ]) {
      assert.equal((await s.scan(text, ctx)).score, 1, JSON.stringify(text));
    }
    assert.equal((await s.scan('a nightingale sang', ctx)).score, 0);
  });

  it('reports spans in the original text and redacts them', async () => {
    const text = 'About Prоject Nightingale: nothing.';
    const r = await s.scan(text, ctx);
    assert.equal(text.slice(r.findings[0]!.start, r.findings[0]!.end), 'Prоject Nightingale');
    assert.equal(r.findings[0]!.kind, 'banned:Project Nightingale');
    assert.equal(
      s.rewrite!(text, r.findings, ctx, 'redact'),
      'About [REDACTED:banned:Project Nightingale]: nothing.',
    );
  });

  it('wholeWords and caseSensitive', async () => {
    const words = bannedSubstrings({ substrings: ['ass'], wholeWords: true });
    assert.equal((await words.scan('a classic class', ctx)).score, 0);
    assert.equal((await words.scan('you ass!', ctx)).score, 1);
    const exact = bannedSubstrings({ substrings: ['ACME'], caseSensitive: true });
    assert.equal((await exact.scan('acme corp', ctx)).score, 0);
    assert.equal((await exact.scan('ACME corp', ctx)).score, 1);
  });
});
