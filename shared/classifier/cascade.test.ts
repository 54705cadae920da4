import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cascadeClassifier } from './cascade.ts';
import type { TextClassifier, TextWindow } from './types.ts';

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

/**
 * Windowed scripted models: a text is windows joined by "|", each window "<first score> <second score>".
 * The first model scores a whole text by its first window, as a cheap model that sees only the start would.
 */
function windowed() {
  const asked: string[][] = [];
  const first: TextClassifier = {
    name: 'first',
    async classify(texts) {
      return texts.map((t) => Number(t.split('|')[0]?.split(' ')[0]));
    },
    async close() {},
  };
  const second: TextClassifier = {
    name: 'second',
    async classify(texts) {
      return texts.map((t) => Math.max(...t.split('|').map((w) => Number(w.split(' ')[1]))));
    },
    windowsOf(text: string, limit: number): TextWindow[] {
      return text
        .split('|')
        .slice(0, limit)
        .map((w) => ({ text: w, ids: [] }));
    },
    async classifyWindows(windows) {
      asked.push(windows.map((w) => w.text));
      return windows.map((w) => Number(w.text.split(' ')[1]));
    },
    async close() {},
  };
  return { first, second, asked };
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

  it('counts the texts it scored and those its second model re-scored', async () => {
    const c = cascadeClassifier(scripted('first').classifier, scripted('second').classifier, {
      low: 0.2,
      high: 0.8,
    });
    assert.deepEqual(c.usage?.(), { scored: 0, secondStage: 0, cached: 0 });
    await c.classify(['0.1 0.9', '0.5 0.05', '0.99 0.0']);
    await c.classify(['0.3 0.3']);
    assert.deepEqual(c.usage?.(), { scored: 4, secondStage: 2, cached: 0 });
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

  it('with focusWindows, re-scores only the windows the first model ranks highest', async () => {
    const { first, second, asked } = windowed();
    const c = cascadeClassifier(first, second, { low: 0.2, high: 0.8 }, { focusWindows: 2 });
    // Window ranks 0.5, 0.1, 0.7, 0.3: the second model sees windows 0 and 2 (in text order), not window 1,
    // whose own score (0.9) it would otherwise have returned.
    const [score] = await c.classify(['0.5 0.0|0.1 0.9|0.7 0.6|0.3 0.4']);
    assert.equal(score, 0.6);
    assert.deepEqual(asked, [['0.5 0.0', '0.7 0.6']]);
  });

  it('with focusWindows, scores every window of a text that has no more than that many', async () => {
    const { first, second, asked } = windowed();
    const c = cascadeClassifier(first, second, { low: 0.2, high: 0.8 }, { focusWindows: 2 });
    assert.deepEqual(await c.classify(['0.5 0.1|0.1 0.9', '0.9 0.0|0.1 0.0|0.1 0.0']), [0.9, 0.9]);
    assert.deepEqual(asked, [['0.5 0.1', '0.1 0.9']]);
  });

  it('rejects a focusWindows that is not a positive integer or a second model without windows', () => {
    const { first, second } = windowed();
    const band = { low: 0.2, high: 0.8 };
    assert.throws(
      () => cascadeClassifier(first, second, band, { focusWindows: 0 }),
      /positive integer, got 0/,
    );
    const plain = scripted('second').classifier;
    assert.throws(
      () => cascadeClassifier(first, plain, band, { focusWindows: 2 }),
      /needs a second model that exposes its windows \(second\)/,
    );
  });
});
