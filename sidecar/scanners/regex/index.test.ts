import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { compilePatterns, leadingWordBoundaries, regex } from './index.ts';

const ctx: ScanContext = { direction: 'output', state: { requestId: 'r', vault: new Map() } };

describe('regex', () => {
  it('finds every match of every pattern and redacts them', async () => {
    const s = regex({ patterns: ['\\bACME-[0-9]{6}\\b', 'ticket #\\d+'] });
    const text = 'See acme-123456 and ACME-654321, ticket #42; not ACME-1234567.';
    const r = await s.scan(text, ctx);
    assert.equal(r.score, 1);
    assert.deepEqual(
      r.findings.map((f) => text.slice(f.start, f.end)),
      ['acme-123456', 'ACME-654321', 'ticket #42'],
    );
    assert.equal(
      s.rewrite!(text, r.findings, ctx, 'redact'),
      'See [REDACTED:regex:0] and [REDACTED:regex:0], [REDACTED:regex:1]; not ACME-1234567.',
    );
  });

  it('caseSensitive, unicode classes, and no hit', async () => {
    const s = regex({ patterns: ['\\p{Lu}{3}-\\d+'], caseSensitive: true });
    assert.equal((await s.scan('ÄÖÜ-1', ctx)).score, 1);
    assert.equal((await s.scan('abc-1', ctx)).score, 0);
  });

  it('a pattern that does not compile with the u flag is a configuration error', () => {
    assert.throws(
      () => compilePatterns(['\\-'], false),
      /regex pattern 0 .* does not compile with the u flag/,
    );
  });

  it('zero-length matches are ignored', async () => {
    assert.equal((await regex({ patterns: ['x*'] }).scan('abc', ctx)).score, 0);
  });

  it('a leading \b before a word character becomes a lookbehind that matches the same', () => {
    assert.equal(leadingWordBoundaries('\\bACME-[0-9]{6}\\b'), '(?<!\\w)ACME-[0-9]{6}\\b');
    assert.equal(leadingWordBoundaries('\\bfoo\\b|x|\\b\\d+'), '(?<!\\w)foo\\b|x|(?<!\\w)\\d+');
    for (const kept of [
      '\\bA?b',
      '\\b\\d*',
      '\\bA{0,2}',
      '\\b(?:a|b)',
      '(\\bfoo)',
      '\\b-x',
      '\\\\bfoo',
      '[|]\\b-',
    ]) {
      assert.equal(leadingWordBoundaries(kept), kept, kept);
    }
    const patterns = ['\\bACME-[0-9]{6}\\b', '\\bk\\w+|\\bs\\d', '\\b_x|\\b9'];
    const texts = [
      'ſACME-123456 Kacme-123456 acme-123456',
      '_x 9 x9 _x9 ſ9 K9 k kk s1 ſ1 -s1',
      'é_x ÄACME-000000',
    ];
    for (const flags of ['giu', 'gu']) {
      for (const p of patterns) {
        const before = new RegExp(p, flags);
        const after = new RegExp(leadingWordBoundaries(p), flags);
        for (const t of texts) {
          const spans = (re: RegExp) => [...t.matchAll(re)].map((m) => `${m.index}:${m[0]}`);
          assert.deepEqual(spans(after), spans(before), `${p} /${flags} on ${t}`);
        }
      }
    }
  });
});
