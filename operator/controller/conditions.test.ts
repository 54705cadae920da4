import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findCondition, rfc3339, sameStatus, setCondition, setConditions } from './conditions.ts';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:05:00Z';

describe('setCondition', () => {
  test('adds a new condition with the current time', () => {
    const list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'm' }, T0);
    assert.deepEqual(list, [
      { type: 'Ready', status: 'False', reason: 'A', message: 'm', lastTransitionTime: T0 },
    ]);
  });

  test('keeps lastTransitionTime when only reason, message or generation change', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'm' }, T0);
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'B', message: 'n', observedGeneration: 2 },
      T1,
    );
    assert.equal(second[0]?.lastTransitionTime, T0);
    assert.equal(second[0]?.reason, 'B');
    assert.equal(second[0]?.message, 'n');
    assert.equal(second[0]?.observedGeneration, 2);
  });

  test('moves lastTransitionTime when the status changes', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: '' }, T0);
    const second = setCondition(first, { type: 'Ready', status: 'True', reason: 'A', message: '' }, T1);
    assert.equal(second[0]?.lastTransitionTime, T1);
  });

  test('does not mutate its input and keeps the order of other conditions', () => {
    const input = Object.freeze([
      Object.freeze({ type: 'A', status: 'True' as const, reason: 'r', message: '', lastTransitionTime: T0 }),
      Object.freeze({ type: 'B', status: 'True' as const, reason: 'r', message: '', lastTransitionTime: T0 }),
    ]);
    const out = setConditions(
      input,
      [
        { type: 'A', status: 'False', reason: 'x', message: '' },
        { type: 'C', status: 'True', reason: 'y', message: '' },
      ],
      T1,
    );
    assert.deepEqual(
      out.map((c) => c.type),
      ['A', 'B', 'C'],
    );
    assert.equal(input[0]?.status, 'True');
    assert.equal(findCondition(out, 'A')?.lastTransitionTime, T1);
    assert.equal(findCondition(out, 'B')?.lastTransitionTime, T0);
    assert.equal(findCondition(out, 'Z'), undefined);
  });
});

describe('sameStatus', () => {
  test('ignores key order and undefined fields', () => {
    assert.ok(sameStatus({ a: 1, b: { c: [1, 2] }, d: undefined }, { b: { c: [1, 2] }, a: 1 }));
    assert.ok(!sameStatus({ a: 1 }, { a: 2 }));
    assert.ok(sameStatus(undefined, {}));
  });
});

test('rfc3339 drops sub-second precision like metav1.Time', () => {
  assert.equal(rfc3339(Date.UTC(2025, 0, 2, 3, 4, 5, 678)), '2025-01-02T03:04:05Z');
});
