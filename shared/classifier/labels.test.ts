import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maliciousIndices, maliciousProbabilities } from './labels.ts';

describe('maliciousIndices', () => {
  it('recognises the usual malicious class names, case-insensitively', () => {
    assert.deepEqual(maliciousIndices(2, { 0: 'SAFE', 1: 'INJECTION' }, undefined), [1]);
    assert.deepEqual(maliciousIndices(3, { 0: 'BENIGN', 1: 'INJECTION', 2: 'JAILBREAK' }, undefined), [1, 2]);
    assert.deepEqual(maliciousIndices(2, { 0: 'benign', 1: 'malicious' }, undefined), [1]);
  });

  it('takes class 1 of an unnamed two-class model (LABEL_0 / LABEL_1)', () => {
    assert.deepEqual(maliciousIndices(2, { 0: 'LABEL_0', 1: 'LABEL_1' }, undefined), [1]);
    assert.deepEqual(maliciousIndices(2, undefined, undefined), [1]);
  });

  it('uses the names it is given and rejects names the model does not have', () => {
    assert.deepEqual(
      maliciousIndices(3, { 0: 'BENIGN', 1: 'INJECTION', 2: 'JAILBREAK' }, ['jailbreak']),
      [2],
    );
    assert.deepEqual(maliciousIndices(2, undefined, ['LABEL_1']), [1]);
    assert.throws(
      () => maliciousIndices(2, { 0: 'SAFE', 1: 'INJECTION' }, ['UNSAFE']),
      /"UNSAFE".*safe, injection/,
    );
  });

  it('refuses to guess for a many-class model without known names', () => {
    assert.throws(() => maliciousIndices(3, { 0: 'a', 1: 'b', 2: 'c' }, undefined), /labels\.malicious/);
  });
});

describe('maliciousProbabilities', () => {
  it('sums the softmax probabilities of the malicious classes per row', () => {
    const logits = [0, 0, 0, Math.log(2), 0, Math.log(3)];
    const p = maliciousProbabilities(logits, 2, 3, [1, 2]);
    assert.ok(Math.abs((p[0] as number) - 2 / 3) < 1e-12);
    assert.ok(Math.abs((p[1] as number) - 4 / 6) < 1e-12);
  });

  it('stays finite for large logits', () => {
    const [p] = maliciousProbabilities([-5000, 5000], 1, 2, [1]);
    assert.equal(p, 1);
  });
});
