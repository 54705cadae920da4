import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cascadeClassifier } from './cascade.ts';
import type { TextClassifier } from './types.ts';

/** A classifier that reads its score from the text ("0.42 …") and records what it was asked. */
function scripted(name: string, threshold?: number) {
  const seen: string[][] = [];
  let closed = 0;
  const classifier: TextClassifier & { threshold?: number } = {
    name,
    ...(threshold !== undefined ? { threshold } : {}),
    async classify(texts) {
      seen.push([...texts]);
      return texts.map((t) => Number(t.split(' ')[name === 'first' ? 0 : 1]));
    },
    async close() {
      closed++;
    },
  };
  return { classifier, seen, closed: () => closed };
}

describe('cascadeClassifier', () => {
  it('re-scores only the texts the first model puts inside [low, high) and keeps the rest', async () => {
    const first = scripted('first');
    const second = scripted('second');
    const c = cascadeClassifier(first.classifier, second.classifier, { low: 0.2, high: 0.8 });
    const scores = await c.classify(['0.1 0.9', '0.2 0.95', '0.5 0.05', '0.8 0.1', '0.99 0.0']);
    assert.deepEqual(scores, [0.1, 0.95, 0.05, 0.8, 0.99]);
    assert.deepEqual(second.seen, [['0.2 0.95', '0.5 0.05']]);
    assert.equal(c.name, 'first+second');
  });

  it('compares and reports on the scanners’ scale: each model’s own threshold maps to 0.5', async () => {
    // first: threshold 0.4, so p 0.3 -> 0.375 (inside the band) and p 0.1 -> 0.125 (below it).
    const first = scripted('first', 0.4);
    // second: threshold 0.2, so p 0.6 -> 0.5 + 0.5 * 0.4 / 0.8 = 0.75.
    const second = scripted('second', 0.2);
    const c = cascadeClassifier(first.classifier, second.classifier, { low: 0.25, high: 0.75 });
    const scores = await c.classify(['0.3 0.6', '0.1 0.6']);
    assert.deepEqual(scores, [0.75, 0.125]);
    assert.deepEqual(second.seen, [['0.3 0.6']]);
  });

  it('does not call the second model when every text is clear', async () => {
    const first = scripted('first');
    const second = scripted('second');
    const c = cascadeClassifier(first.classifier, second.classifier, { low: 0.3, high: 0.7 });
    assert.deepEqual(await c.classify(['0.05 1', '0.9 0']), [0.05, 0.9]);
    assert.equal(second.seen.length, 0);
  });

  it('closes both models and rejects a band that holds nothing', async () => {
    const first = scripted('first');
    const second = scripted('second');
    await cascadeClassifier(first.classifier, second.classifier, { low: 0.1, high: 0.9 }).close();
    assert.equal(first.closed(), 1);
    assert.equal(second.closed(), 1);
    assert.throws(
      () => cascadeClassifier(first.classifier, second.classifier, { low: 0.5, high: 0.5 }),
      /low 0.5 must be below high 0.5/,
    );
  });
});
