/** Names the operator shares with its tests, the chart and the guard. Changing one is an API change. */

export const CONTROLLER_NAME = 'bulwark-operator';
/** The one field manager for every server-side apply the operator makes. */
export const FIELD_MANAGER = 'bulwark-operator';

export const Label = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  /** Marks a policy ConfigMap with the hash of the policy it holds. */
  policyHash: 'bulwark.dev/policy-hash',
} as const;

export const MANAGED_BY = 'bulwark';
export const APP_NAME = 'llm';

export const Annotation = {
  /** On the pod template: a policy change changes it, which rolls the pods. */
  policyHash: 'bulwark.dev/policy-hash',
  /** On the pod template: Secret rotation changes it, which rolls the pods. */
  secretsHash: 'bulwark.dev/secrets-hash',
  policyName: 'bulwark.dev/policy-name',
} as const;

export const ContainerName = {
  guard: 'guard',
  outputCheck: 'output-check',
  model: 'model',
} as const;

export const GuardPort = {
  /** The only port clients reach. */
  http: 8080,
  admin: 9090,
  outputCheckHttp: 8081,
  outputCheckAdmin: 9091,
} as const;

export const PolicyFile = {
  key: 'policy.yaml',
  mountPath: '/etc/bulwark/policy',
} as const;

export const ConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  PolicyValid: 'PolicyValid',
  /** On GuardrailPolicy. */
  Valid: 'Valid',
} as const;

export const Reason = {
  Available: 'Available',
  RolloutInProgress: 'RolloutInProgress',
  RolloutComplete: 'RolloutComplete',
  PolicyNotFound: 'PolicyNotFound',
  PolicyInvalid: 'PolicyInvalid',
  PolicyValid: 'PolicyValid',
  ValidationFailed: 'ValidationFailed',
  SecretNotFound: 'SecretNotFound',
  OwnershipConflict: 'OwnershipConflict',
  ApplyFailed: 'ApplyFailed',
  ReplicasUnavailable: 'ReplicasUnavailable',
  InvalidSpec: 'InvalidSpec',
} as const;

export const EventReason = {
  Applied: 'Applied',
  PolicyRejected: 'PolicyRejected',
  PolicyRolledOut: 'PolicyRolledOut',
  SecretNotFound: 'SecretNotFound',
  OwnershipConflict: 'OwnershipConflict',
  Pruned: 'Pruned',
  ReconcileError: 'ReconcileError',
} as const;

/** Default guard image; the chart and `--guard-image` override it (air-gapped registries). */
export const DEFAULT_GUARD_IMAGE = 'ghcr.io/bulwark-dev/guard:0.1.0';
