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
  /**
   * On cluster-scoped children (Security Profiles Operator objects), which cannot carry an owner
   * reference to a namespaced LlmDeployment: the owner's namespace, so pruning can select them.
   */
  instanceNamespace: 'bulwark.dev/instance-namespace',
} as const;

/** `app.kubernetes.io/component` values; the node profile installer selects `securityProfiles`. */
export const Component = {
  server: 'server',
  policy: 'policy',
  securityProfiles: 'security-profiles',
} as const;
export const PART_OF = 'bulwark';

export const MANAGED_BY = 'bulwark';
export const APP_NAME = 'llm';

export const Annotation = {
  /** On the pod template: a policy change changes it, which rolls the pods. */
  policyHash: 'bulwark.dev/policy-hash',
  /** On the pod template: Secret rotation changes it, which rolls the pods. */
  secretsHash: 'bulwark.dev/secrets-hash',
  policyName: 'bulwark.dev/policy-name',
  /**
   * On every applied object: hash of what the operator last applied. Equal to the hash of the new
   * desired object → the apply is skipped, so an idle cluster gets no requests.
   */
  appliedHash: 'bulwark.dev/applied-hash',
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

/** The guard's client API keys (`guard.apiKeySecretRef`), mounted read-only. */
export const ApiKeysFile = {
  fileName: 'api-keys',
  mountPath: '/etc/bulwark/api-keys',
} as const;

/** Container port names, shared by the Deployment, the Service and the ServiceMonitor. */
export const PortName = {
  http: 'http',
  metrics: 'metrics',
  outputCheckMetrics: 'oc-metrics',
} as const;

/**
 * The numeric identity every container runs as (the distroless `nonroot` user). Numeric so that the
 * kubelet can verify runAsNonRoot without reading the image's /etc/passwd.
 */
export const POD_UID = 65532;
export const POD_GID = 65532;

/**
 * Generated security profiles. The node installer writes seccomp profiles to
 * `<kubelet seccomp root>/<SeccompDir>/<file>` and loads AppArmor profiles under their own name.
 */
export const SecurityProfiles = {
  /** Directory below the kubelet's seccomp root (`/var/lib/kubelet/seccomp`). */
  seccompDir: 'bulwark',
  /** Keys of the profiles ConfigMap: `<name>.json` is a seccomp profile, `<name>.apparmor` an AppArmor one. */
  seccompSuffix: '.json',
  appArmorSuffix: '.apparmor',
  /** The Security Profiles Operator (>= 0.9) installs cluster-scoped SeccompProfiles at `operator/<name>.json`. */
  spoSeccompDir: 'operator',
} as const;

/** Condition types are part of the API (api/v1alpha1); re-exported so operator code finds every name here. */
export { ConditionType } from '../api/v1alpha1/index.ts';

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
  /** Degraded=False: nothing is wrong. */
  AsExpected: 'AsExpected',
  /** The Deployment controller gave up waiting for new pods (spec.progressDeadlineSeconds). */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** The Deployment does not exist yet or its controller has not seen the newest spec. */
  DeploymentPending: 'DeploymentPending',
} as const;

export const EventReason = {
  Applied: 'Applied',
  PolicyRejected: 'PolicyRejected',
  PolicyRolledOut: 'PolicyRolledOut',
  SecretNotFound: 'SecretNotFound',
  OwnershipConflict: 'OwnershipConflict',
  Pruned: 'Pruned',
  ReconcileError: 'ReconcileError',
  PolicyNotFound: 'PolicyNotFound',
  InvalidSpec: 'InvalidSpec',
  ApplyFailed: 'ApplyFailed',
  LeaderElected: 'LeaderElected',
} as const;

/** Default guard image; the chart and `--guard-image` override it (air-gapped registries). */
export const DEFAULT_GUARD_IMAGE = 'ghcr.io/bulwark-dev/guard:0.1.0';
