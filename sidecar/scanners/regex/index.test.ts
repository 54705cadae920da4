import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { compilePatterns, regex } from './index.ts';

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
});
