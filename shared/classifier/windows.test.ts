import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentLength, detectSpecialTokens, makeBatches, makeWindows } from './windows.ts';

const none = { prefix: [], suffix: [] };

describe('detectSpecialTokens', () => {
  it('finds a BERT-style [CLS] ... [SEP] wrapping', () => {
    assert.deepEqual(detectSpecialTokens([101, 7, 8, 102], [7, 8]), { prefix: [101], suffix: [102] });
  });
  it('gives nothing when the tokenizer adds nothing', () => {
    assert.deepEqual(detectSpecialTokens([7, 8], [7, 8]), none);
  });
  it('gives nothing when the plain ids are not inside the decorated ones', () => {
    assert.deepEqual(detectSpecialTokens([1, 2, 3], [7, 8]), none);
  });
});

describe('makeWindows', () => {
  const ids = Array.from({ length: 10 }, (_, i) => i);

  it('keeps a short text in one window', () => {
    assert.deepEqual(makeWindows([[1, 2, 3]], { maxLength: 8, stride: 4, special: none }), [
      { text: 0, ids: [1, 2, 3] },
    ]);
  });

  it('covers a long text with windows starting every stride tokens, stopping once the end is covered', () => {
    const w = makeWindows([ids], { maxLength: 4, stride: 3, special: none });
    assert.deepEqual(
      w.map((x) => x.ids),
      [
        [0, 1, 2, 3],
        [3, 4, 5, 6],
        [6, 7, 8, 9],
      ],
    );
  });

  it('wraps every window in the special tokens and counts them in maxLength', () => {
    const special = { prefix: [100], suffix: [101] };
    assert.equal(contentLength({ maxLength: 5, special }), 3);
    const w = makeWindows([ids.slice(0, 5)], { maxLength: 5, stride: 2, special });
    assert.deepEqual(
      w.map((x) => x.ids),
      [
        [100, 0, 1, 2, 101],
        [100, 2, 3, 4, 101],
      ],
    );
    assert.ok(w.every((x) => x.ids.length <= 5));
  });

  it('gives an empty text one window, and remembers which text each window came from', () => {
    const w = makeWindows([[], ids.slice(0, 6)], { maxLength: 4, stride: 4, special: none });
    assert.deepEqual(
      w.map((x) => x.text),
      [0, 1, 1],
    );
    assert.deepEqual(w[0]?.ids, []);
  });

  it('rejects a stride that would skip tokens or a window with no room for text', () => {
    assert.throws(() => makeWindows([ids], { maxLength: 4, stride: 5, special: none }), /stride/);
    assert.throws(() => makeWindows([ids], { maxLength: 4, stride: 0, special: none }), /stride/);
    assert.throws(
      () => makeWindows([ids], { maxLength: 2, stride: 1, special: { prefix: [1], suffix: [2] } }),
      /no room/,
    );
  });
});

describe('makeWindows with maxWindows', () => {
  const ids = Array.from({ length: 20 }, (_, i) => i);
  const plan = { maxLength: 2, stride: 2, special: none };

  it('keeps every window while they fit', () => {
    assert.equal(makeWindows([ids], { ...plan, maxWindows: 10 }).length, 10);
  });

  it('keeps the first, the last and evenly spaced ones between when there are more', () => {
    // Ten windows starting at 0, 2, ..., 18; k·9/3 picks windows 0, 3, 6 and 9.
    const w = makeWindows([ids], { ...plan, maxWindows: 4 });
    assert.deepEqual(
      w.map((x) => x.ids),
      [
        [0, 1],
        [6, 7],
        [12, 13],
        [18, 19],
      ],
    );
  });

  it('caps each text on its own and keeps only the opening window at maxWindows 1', () => {
    const w = makeWindows([ids, [1]], { ...plan, maxWindows: 1 });
    assert.deepEqual(w, [
      { text: 0, ids: [0, 1] },
      { text: 1, ids: [1] },
    ]);
  });

  it('rejects a maxWindows that is not a positive integer', () => {
    assert.throws(() => makeWindows([ids], { ...plan, maxWindows: 0 }), /maxWindows/);
  });
});

describe('makeBatches', () => {
  it('right-pads each batch to its longest window with the pad id and a zero mask', () => {
    const b = makeBatches(
      [
        { text: 0, ids: [5, 6, 7] },
        { text: 1, ids: [8] },
        { text: 1, ids: [9, 9] },
      ],
      2,
      0,
    );
    assert.equal(b.length, 2);
    assert.deepEqual([b[0]?.rows, b[0]?.cols, b[1]?.rows, b[1]?.cols], [2, 3, 1, 2]);
    assert.deepEqual([...(b[0]?.inputIds ?? [])], [5n, 6n, 7n, 8n, 0n, 0n]);
    assert.deepEqual([...(b[0]?.attentionMask ?? [])], [1n, 1n, 1n, 1n, 0n, 0n]);
    assert.deepEqual(b[0]?.texts, [0, 1]);
  });

  it('gives an empty window one padded column so the tensor is never empty', () => {
    const [b] = makeBatches([{ text: 0, ids: [] }], 4, 3);
    assert.deepEqual(
      [b?.rows, b?.cols, [...(b?.inputIds ?? [])], [...(b?.attentionMask ?? [])]],
      [1, 1, [3n], [0n]],
    );
  });
});
