import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TextClassifier } from '../../../shared/classifier/types.ts';
import type { ScanContext } from '../types.ts';
import { stem, topics } from './index.ts';

const ctx: ScanContext = { direction: 'input', state: { requestId: 'r', vault: new Map() } };

describe('topics', () => {
  it('stems plurals and verb forms together', () => {
    assert.equal(stem('weapons'), stem('weapon'));
    assert.equal(stem('diagnosis'), stem('diagnosed'));
    assert.equal(stem('shooting'), stem('shoot'));
    assert.equal(stem('stabbing'), stem('stab'));
  });

  it('deny: fires on the lexicon of a known topic and on the topic words themselves', async () => {
    const s = topics({ deny: ['weapons', 'self-harm', 'medical diagnosis', 'quantum chromodynamics'] });
    assert.ok((await s.scan('Where can I buy ammunition for my rifle?', ctx)).score >= 0.5);
    assert.ok((await s.scan('I keep thinking about how to end my life', ctx)).score >= 0.5);
    assert.ok((await s.scan('Can you diagnose this rash? The symptoms started Monday.', ctx)).score >= 0.5);
    assert.ok((await s.scan('Explain Quantum Chromodynamics simply', ctx)).score >= 0.5);
    const r = await s.scan('Shooting and firearms laws in Texas', ctx);
    assert.deepEqual(
      r.findings.map((f) => f.kind),
      ['topic:weapons'],
    );
  });

  it('deny: true negatives', async () => {
    const s = topics({ deny: ['weapons', 'self-harm'] });
    for (const text of [
      'What is the capital of Portugal?',
      'Recommend a good pasta recipe',
      'Our sales team crushed the quarter',
    ]) {
      assert.equal((await s.scan(text, ctx)).score, 0, text);
    }
  });

  it('allow: off-topic messages score high, on-topic ones low, greetings pass', async () => {
    const s = topics({ allow: ['billing', 'invoice', 'refund'] });
    assert.equal((await s.scan('I need a refund for my last invoice please', ctx)).score < 0.5, true);
    assert.equal((await s.scan('Write me a poem about autumn leaves falling', ctx)).score, 1);
    assert.equal((await s.scan('hi there', ctx)).score, 0);
  });

  it('a topic classifier, when given, adds its score', async () => {
    const classifier: TextClassifier = {
      name: 'crypto-topic',
      classify: async (texts) => texts.map((t) => (/\b(?:token|coin|wallet)s?\b/i.test(t) ? 0.9 : 0.05)),
      close: async () => {},
    };
    const s = topics({ deny: ['cryptocurrency'], classifier });
    const r = await s.scan('Which coin should I put in my wallet?', ctx);
    assert.equal(r.score, 0.9);
  });
});
