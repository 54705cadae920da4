import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyMemory } from './reply-memory.ts';

describe('ReplyMemory', () => {
  it('recognises the replies it was given, ignoring surrounding whitespace, and nothing else', () => {
    const memory = new ReplyMemory();
    memory.remember('k', ['Sure, send the text.', '', '   '], 10);
    assert.equal(memory.size, 1, 'blank texts are not remembered');
    assert.equal(memory.recognises('k', 'Sure, send the text.', 10), true);
    assert.equal(memory.recognises('k', '\n Sure, send the text.\t', 10), true);
    assert.equal(memory.recognises('k', 'Sure, send the text!', 10), false);
    assert.equal(memory.recognises('k', '', 10), false);
  });

  it('a reply counts only for the client it went to', () => {
    const memory = new ReplyMemory();
    memory.remember('alice', ['the reply'], 10);
    assert.equal(memory.recognises('bob', 'the reply', 10), false);
    assert.equal(memory.recognises('alice', 'the reply', 10), true);
    // Scope and text are kept apart: "a" + "bc" is not "ab" + "c".
    memory.remember('a', ['bc'], 10);
    assert.equal(memory.recognises('ab', 'c', 10), false);
  });

  it('forgets the least recently used beyond its capacity; recognising renews', () => {
    const memory = new ReplyMemory();
    memory.remember('k', ['a', 'b', 'c'], 3);
    assert.equal(memory.recognises('k', 'a', 3), true);
    memory.remember('k', ['d'], 3);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((t) => memory.recognises('k', t, 3)),
      [true, false, true, true],
    );
  });

  it('a smaller capacity, as after a policy reload, applies at the next call', () => {
    const memory = new ReplyMemory();
    memory.remember('k', ['a', 'b', 'c'], 3);
    assert.equal(memory.recognises('k', 'c', 1), true);
    assert.equal(memory.size, 1);
    assert.equal(memory.recognises('k', 'c', 0), false);
    assert.equal(memory.size, 0);
  });
});
