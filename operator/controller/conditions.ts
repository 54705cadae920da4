// Condition bookkeeping, as in apimachinery's meta.SetStatusCondition
// (https://pkg.go.dev/k8s.io/apimachinery/pkg/api/meta#SetStatusCondition): lastTransitionTime moves
// only when a condition's status changes, so watchers can tell how long something has been broken.
import type { Condition } from '../../api/v1alpha1/index.ts';
import { canonicalJson } from '../../shared/policy/index.ts';

export type { Condition };
export type ConditionStatus = Condition['status'];

/** A condition as a check computes it; the time is filled in by setCondition. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new list with `next` set. An existing condition of the same type keeps its
 * lastTransitionTime unless its status changes; reason, message and observedGeneration are updated in
 * place. Order is stable: new types are appended.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const previous = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime : now;
  const condition: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime,
    ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
  };
  if (i >= 0) list[i] = condition;
  else list.push(condition);
  return list;
}

/** Sets several conditions at once. */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: string,
): Condition[] {
  return next.reduce<Condition[]>((acc, c) => setCondition(acc, c, now), [...(conditions ?? [])]);
}

/** Deep equality that ignores key order and undefined fields: decides whether a status write is needed. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

/** RFC 3339 at second precision, the format metav1.Time serialises to. */
export function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
