import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withScoreCache } from './score-cache.ts';
import type { TextClassifier } from './types.ts';

/** Scores a text by its length (so every text has its own score) and records what it was asked. */
function countingClassifier(options: { failFirst?: boolean } = {}) {
  const calls: string[][] = [];
  let fail = options.failFirst ?? false;
  const classifier: TextClassifier = {
    name: 'counting',
    async classify(texts) {
      calls.push([...texts]);
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) {
        fail = false;
        throw new Error('worker stopped');
      }
      return texts.map((t) => t.length / 100);
    },
    close: async () => {},
  };
  return { classifier, calls };
}

describe('withScoreCache', () => {
  it('classifies a text once and answers repeats with the same score', async () => {
    const { classifier, calls } = countingClassifier();
    const cached = withScoreCache(classifier, 8);
    assert.deepEqual(await cached.classify(['system prompt', 'first turn']), [0.13, 0.1]);
    assert.deepEqual(await cached.classify(['system prompt', 'first turn', 'second']), [0.13, 0.1, 0.06]);
    assert.deepEqual(calls, [['system prompt', 'first turn'], ['second']]);
  });

  it('sends a text repeated within one call once, in one call to the model', async () => {
    const { classifier, calls } = countingClassifier();
    const cached = withScoreCache(classifier, 8);
    assert.deepEqual(await cached.classify(['a', 'bb', 'a']), [0.01, 0.02, 0.01]);
    assert.deepEqual(calls, [['a', 'bb']]);
  });

  it('shares a text in flight between concurrent calls', async () => {
    const { classifier, calls } = countingClassifier();
    const cached = withScoreCache(classifier, 8);
    const [one, two] = await Promise.all([
      cached.classify(['shared', 'x']),
      cached.classify(['shared', 'yy']),
    ]);
    assert.deepEqual(one, [0.06, 0.01]);
    assert.deepEqual(two, [0.06, 0.02]);
    assert.deepEqual(calls, [['shared', 'x'], ['yy']]);
  });

  it('counts the texts it answered itself and those it sent to the model, whose second stage it reports', async () => {
    const { classifier } = countingClassifier();
    const cached = withScoreCache(
      { ...classifier, usage: () => ({ scored: 9, secondStage: 2, cached: 0 }) },
      8,
    );
    await cached.classify(['a', 'bb', 'a']);
    await Promise.all([cached.classify(['bb', 'ccc']), cached.classify(['ccc'])]);
    assert.deepEqual(cached.usage?.(), { scored: 3, secondStage: 2, cached: 3 });
  });

  it('evicts the least recently used text first', async () => {
    const { classifier, calls } = countingClassifier();
    const cached = withScoreCache(classifier, 2);
    await cached.classify(['a']);
    await cached.classify(['b']);
    await cached.classify(['a']); // a is now more recent than b
    await cached.classify(['c']); // evicts b
    calls.length = 0;
    await cached.classify(['a', 'c']);
    assert.deepEqual(calls, []);
    await cached.classify(['b']);
    assert.deepEqual(calls, [['b']]);
  });

  it('answers every text of a call larger than the cache', async () => {
    const { classifier } = countingClassifier();
    const cached = withScoreCache(classifier, 1);
    assert.deepEqual(await cached.classify(['a', 'bb', 'ccc']), [0.01, 0.02, 0.03]);
  });

  it('does not remember a failed call: the next one asks the model again', async () => {
    const { classifier, calls } = countingClassifier({ failFirst: true });
    const cached = withScoreCache(classifier, 8);
    await assert.rejects(cached.classify(['text']), /worker stopped/);
    assert.deepEqual(await cached.classify(['text']), [0.04]);
    assert.equal(calls.length, 2);
  });

  it('with 0 entries is the classifier itself', () => {
    const { classifier } = countingClassifier();
    assert.equal(withScoreCache(classifier, 0), classifier);
    assert.throws(() => withScoreCache(classifier, -1), /non-negative integer/);
  });

  it('passes threshold, failure() and close() through', async () => {
    let closed = false;
    const inner: TextClassifier = {
      name: 'failing',
      threshold: 0.27,
      classify: async (texts) => texts.map(() => 0),
      failure: () => 'worker could not start',
      close: async () => {
        closed = true;
      },
    };
    const cached = withScoreCache(inner, 8);
    assert.equal(cached.name, 'failing');
    assert.equal(cached.threshold, 0.27);
    assert.equal(cached.failure?.(), 'worker could not start');
    await cached.close();
    assert.ok(closed);
  });
});
