// Status of an LlmDeployment as a chain of small pure checks, after cert-manager's readiness policies
// (internal/controller/certificates/policies): each check looks at facts the reconciler gathered and
// returns a reason and message when it fails; the first failure becomes Ready=False. Nothing here does
// I/O, so every branch is unit-tested.
import type { LlmDeploymentStatus } from '../../api/v1alpha1/index.ts';
import { Annotation, ConditionType, EventReason, Reason } from '../constants.ts';
import { type ConditionInput, findCondition, setConditions } from './conditions.ts';
import type { KObject } from './kube.ts';

/** What the Deployment's own status says, reduced to what readiness needs. */
export interface DeploymentFacts {
  generation: number;
  observedGeneration: number;
  /** spec.replicas (the API server defaults it to 1). */
  desiredReplicas: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  progressDeadlineExceeded: boolean;
  /** Policy the pod template carries (what pods run once the rollout completes). */
  policyHash?: string;
  policyName?: string;
}

export function deploymentFacts(dep: KObject): DeploymentFacts {
  const spec = (dep.spec ?? {}) as {
    replicas?: number;
    template?: { metadata?: { annotations?: Record<string, string> } };
  };
  const status = (dep.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
  const annotations = spec.template?.metadata?.annotations ?? {};
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  return {
    generation: dep.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    desiredReplicas: spec.replicas ?? 1,
    replicas: status.replicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    progressDeadlineExceeded:
      progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    ...(annotations[Annotation.policyHash] ? { policyHash: annotations[Annotation.policyHash] } : {}),
    ...(annotations[Annotation.policyName] ? { policyName: annotations[Annotation.policyName] } : {}),
  };
}

/**
 * The same test `kubectl rollout status` makes
 * (https://github.com/kubernetes/kubectl/blob/master/pkg/polymorphichelpers/rollout_status.go):
 * the controller saw the newest spec, every replica is updated, no old replica is left, and the
 * updated ones are available.
 */
export function rolloutComplete(d: DeploymentFacts): boolean {
  return (
    d.observedGeneration >= d.generation &&
    d.updatedReplicas >= d.desiredReplicas &&
    d.replicas <= d.updatedReplicas &&
    d.availableReplicas >= d.updatedReplicas
  );
}

export type PolicyState = 'valid' | 'invalid' | 'missing';

/** Everything the reconciler found out in one pass; the input of every check. */
export interface LlmFacts {
  generation: number;
  /** Set when the spec cannot be turned into objects; retrying will not help. */
  specInvalid?: string;
  /** `reason`: why an invalid policy was refused (PolicyInvalid, ValidationFailed); PolicyInvalid if unset. */
  policy: { name: string; state: PolicyState; message: string; hash?: string; reason?: string };
  /** The policy the applied objects carry: the referenced one when valid, else the last valid one. */
  deployedPolicy?: { name: string; hash: string };
  missingSecrets: string[];
  conflicts: string[];
  applyErrors: string[];
  deployment?: DeploymentFacts;
  endpoint?: string;
}

export interface CheckFailure {
  reason: string;
  message: string;
}

export type Check = (f: LlmFacts) => CheckFailure | undefined;

const fail = (reason: string, message: string): CheckFailure => ({ reason, message });

const refusal = (f: LlmFacts): string => f.policy.reason ?? Reason.PolicyInvalid;

export const specValid: Check = (f) =>
  f.specInvalid === undefined ? undefined : fail(Reason.InvalidSpec, f.specInvalid);

export const policyFound: Check = (f) =>
  f.policy.state === 'missing' ? fail(Reason.PolicyNotFound, f.policy.message) : undefined;

/** An invalid policy only blocks readiness when no earlier valid one is deployed. */
export const policyDeployable: Check = (f) =>
  f.policy.state === 'invalid' && !f.deployedPolicy ? fail(refusal(f), f.policy.message) : undefined;

export const secretsPresent: Check = (f) =>
  f.missingSecrets.length ? fail(Reason.SecretNotFound, f.missingSecrets.join('; ')) : undefined;

export const noOwnershipConflict: Check = (f) =>
  f.conflicts.length
    ? fail(
        Reason.OwnershipConflict,
        `not managed by Bulwark, left untouched: ${f.conflicts.join(', ')}; delete or rename them`,
      )
    : undefined;

export const applied: Check = (f) =>
  f.applyErrors.length ? fail(Reason.ApplyFailed, f.applyErrors.join('; ')) : undefined;

export const deploymentObserved: Check = (f) => {
  if (!f.deployment) return fail(Reason.DeploymentPending, 'the Deployment does not exist yet');
  if (f.deployment.observedGeneration < f.deployment.generation) {
    return fail(Reason.DeploymentPending, 'waiting for the Deployment controller to observe the newest spec');
  }
  return undefined;
};

export const progressDeadline: Check = (f) =>
  f.deployment?.progressDeadlineExceeded
    ? fail(Reason.ProgressDeadlineExceeded, 'the rollout exceeded its progress deadline')
    : undefined;

export const rolloutDone: Check = (f) => {
  const d = f.deployment;
  if (!d || rolloutComplete(d)) return undefined;
  return fail(
    Reason.RolloutInProgress,
    `${d.updatedReplicas} of ${d.desiredReplicas} replicas updated, ${d.availableReplicas} available, ${d.replicas - d.updatedReplicas} old`,
  );
};

export const replicasAvailable: Check = (f) => {
  const d = f.deployment;
  if (!d || d.availableReplicas >= d.desiredReplicas) return undefined;
  return fail(
    Reason.ReplicasUnavailable,
    `${d.availableReplicas} of ${d.desiredReplicas} replicas available`,
  );
};

/** Ready is True only if every check passes; the first failure is the reason. */
export const READY_CHECKS: readonly Check[] = [
  specValid,
  policyFound,
  policyDeployable,
  secretsPresent,
  noOwnershipConflict,
  applied,
  deploymentObserved,
  progressDeadline,
  rolloutDone,
  replicasAvailable,
];

const policyValid: Check = (f) =>
  f.policy.state === 'invalid' ? fail(refusal(f), f.policy.message) : undefined;

/** Degraded is True when something needs a human, even if old pods keep serving. */
export const DEGRADED_CHECKS: readonly Check[] = [
  specValid,
  noOwnershipConflict,
  applied,
  policyFound,
  policyValid,
  secretsPresent,
  progressDeadline,
];

export function firstFailure(checks: readonly Check[], f: LlmFacts): CheckFailure | undefined {
  for (const check of checks) {
    const failure = check(f);
    if (failure) return failure;
  }
  return undefined;
}

export function computeConditions(f: LlmFacts): ConditionInput[] {
  const g = { observedGeneration: f.generation };
  const notReady = firstFailure(READY_CHECKS, f);
  const ready: ConditionInput = notReady
    ? { type: ConditionType.Ready, status: 'False', ...notReady, ...g }
    : {
        type: ConditionType.Ready,
        status: 'True',
        reason: Reason.Available,
        message: `${f.deployment?.availableReplicas ?? 0} replicas available`,
        ...g,
      };

  const d = f.deployment;
  let progressing: ConditionInput;
  if (d?.progressDeadlineExceeded) {
    progressing = {
      type: ConditionType.Progressing,
      status: 'False',
      ...(progressDeadline(f) as CheckFailure),
      ...g,
    };
  } else if (d && !rolloutComplete(d)) {
    progressing = {
      type: ConditionType.Progressing,
      status: 'True',
      reason: Reason.RolloutInProgress,
      message: (rolloutDone(f) ?? deploymentObserved(f))?.message ?? 'rolling out',
      ...g,
    };
  } else if (!d && notReady?.reason === Reason.DeploymentPending) {
    progressing = { type: ConditionType.Progressing, status: 'True', ...notReady, ...g };
  } else if (d) {
    progressing = {
      type: ConditionType.Progressing,
      status: 'False',
      reason: Reason.RolloutComplete,
      message: 'the newest pod template is rolled out',
      ...g,
    };
  } else {
    progressing = {
      type: ConditionType.Progressing,
      status: 'False',
      ...(notReady ?? fail(Reason.DeploymentPending, 'nothing to roll out')),
      ...g,
    };
  }

  const degradedBy = firstFailure(DEGRADED_CHECKS, f);
  const degraded: ConditionInput = degradedBy
    ? { type: ConditionType.Degraded, status: 'True', ...degradedBy, ...g }
    : { type: ConditionType.Degraded, status: 'False', reason: Reason.AsExpected, message: '', ...g };

  const pv: ConditionInput =
    f.policy.state === 'valid'
      ? {
          type: ConditionType.PolicyValid,
          status: 'True',
          reason: Reason.PolicyValid,
          message: f.policy.message,
          ...g,
        }
      : f.policy.state === 'invalid'
        ? {
            type: ConditionType.PolicyValid,
            status: 'False',
            reason: refusal(f),
            message: f.policy.message,
            ...g,
          }
        : {
            type: ConditionType.PolicyValid,
            status: 'Unknown',
            reason: Reason.PolicyNotFound,
            message: f.policy.message,
            ...g,
          };

  return [ready, progressing, degraded, pv];
}

/**
 * The whole status. `policy` reports what the running pods enforce: it moves to the template's policy
 * only once the rollout has completed, and otherwise keeps what it said before.
 */
export function computeStatus(
  f: LlmFacts,
  previous: LlmDeploymentStatus | undefined,
  now: string,
): LlmDeploymentStatus {
  const d = f.deployment;
  let policy = previous?.policy;
  if (d && rolloutComplete(d) && d.policyHash) {
    policy = { name: d.policyName ?? f.policy.name, hash: d.policyHash };
  }
  return {
    observedGeneration: f.generation,
    conditions: setConditions(previous?.conditions, computeConditions(f), now),
    ...(d
      ? { replicas: d.replicas, readyReplicas: d.readyReplicas, updatedReplicas: d.updatedReplicas }
      : {}),
    ...(policy ? { policy } : {}),
    ...(f.endpoint ? { endpoint: f.endpoint } : {}),
  };
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/**
 * Events follow status transitions rather than reconciles, so a problem that persists is reported
 * once (and once again after an operator restart only if the condition actually changed).
 */
export function transitionEvents(
  previous: LlmDeploymentStatus | undefined,
  next: LlmDeploymentStatus,
): EventSpec[] {
  const events: EventSpec[] = [];
  const changed = (type: string) => {
    const a = findCondition(previous?.conditions, type);
    const b = findCondition(next.conditions, type);
    return b && (a?.status !== b.status || a?.reason !== b.reason || a?.message !== b.message)
      ? b
      : undefined;
  };
  const pv = changed(ConditionType.PolicyValid);
  if (pv?.status === 'False') {
    events.push({
      type: 'Warning',
      reason: EventReason.PolicyRejected,
      action: 'ValidatePolicy',
      note: pv.message,
    });
  }
  const ready = changed(ConditionType.Ready);
  const warnFor: Record<string, string> = {
    [Reason.SecretNotFound]: EventReason.SecretNotFound,
    [Reason.PolicyNotFound]: EventReason.PolicyNotFound,
    [Reason.InvalidSpec]: EventReason.InvalidSpec,
  };
  if (ready?.status === 'False' && warnFor[ready.reason]) {
    events.push({
      type: 'Warning',
      reason: warnFor[ready.reason]!,
      action: 'Reconcile',
      note: ready.message,
    });
  }
  const degraded = changed(ConditionType.Degraded);
  if (degraded?.status === 'True' && degraded.reason === Reason.OwnershipConflict) {
    events.push({
      type: 'Warning',
      reason: EventReason.OwnershipConflict,
      action: 'Apply',
      note: degraded.message,
    });
  }
  if (degraded?.status === 'True' && degraded.reason === Reason.ApplyFailed) {
    events.push({
      type: 'Warning',
      reason: EventReason.ApplyFailed,
      action: 'Apply',
      note: degraded.message,
    });
  }
  // A policy *change* reaching the pods; the first rollout of a new LlmDeployment is not one.
  if (next.policy && previous?.policy && next.policy.hash !== previous.policy.hash) {
    events.push({
      type: 'Normal',
      reason: EventReason.PolicyRolledOut,
      action: 'RollOut',
      note: `pods now enforce GuardrailPolicy ${next.policy.name} (hash ${next.policy.hash})`,
    });
  }
  return events;
}
