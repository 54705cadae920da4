import { z } from 'zod';
import {
  Affinity,
  Conditions,
  DnsLabel,
  DnsSubdomain,
  EnvVarName,
  IntOrPercent,
  ModelResources,
  NetworkPeer,
  ObjectMeta,
  Port,
  Quantity,
  Resources,
  SecretKeyRef,
  Toleration,
} from './common.ts';
import { API_VERSION, passthroughObject, withRules } from './meta.ts';

export const LLM_DEPLOYMENT_KIND = 'LlmDeployment';
export const RESERVED_PORTS = [8080, 8081, 9090, 9091] as const;

const Image = z.string().min(1).max(512).describe('Container image reference; pin by digest in production.');
const isDigestPinned = (image: string) => image.includes('@sha256:');

const Volume = withRules(
  z
    .object({
      name: DnsLabel.describe('Volume name, unique within the pod.'),
      mountPath: z
        .string()
        .min(1)
        .max(512)
        .regex(/^\//, 'must be an absolute path')
        .describe('Where the model container sees it.'),
      readOnly: z.boolean().default(true).describe('Mount read-only (weights rarely need writes).'),
      subPath: z.string().max(512).optional(),
      persistentVolumeClaim: z
        .object({ claimName: DnsSubdomain, readOnly: z.boolean().optional() })
        .strict()
        .optional()
        .describe('Model weights on a PVC.'),
      emptyDir: z
        .object({ medium: z.enum(['', 'Memory']).optional(), sizeLimit: Quantity.optional() })
        .strict()
        .optional()
        .describe('Scratch space (e.g. a download or compile cache).'),
      configMap: z.object({ name: DnsSubdomain }).strict().optional(),
      secret: z.object({ secretName: DnsSubdomain }).strict().optional(),
      csi: passthroughObject('A CSI volume source (e.g. Secrets Store CSI driver for OCI Vault).').optional(),
      ephemeral: passthroughObject('A generic ephemeral volume source.').optional(),
    })
    .strict(),
  [
    {
      cel: '[has(self.persistentVolumeClaim), has(self.emptyDir), has(self.configMap), has(self.secret), has(self.csi), has(self.ephemeral)].filter(x, x).size() == 1',
      message:
        'a volume needs exactly one source: persistentVolumeClaim, emptyDir, configMap, secret, csi or ephemeral',
      holds: (v) =>
        [v.persistentVolumeClaim, v.emptyDir, v.configMap, v.secret, v.csi, v.ephemeral].filter(
          (x) => x !== undefined,
        ).length === 1,
    },
  ],
);

export const ModelSpec = z
  .object({
    image: Image,
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    command: z.array(z.string().max(4096)).max(64).optional().describe('Entrypoint override.'),
    args: z
      .array(z.string().max(4096))
      .max(128)
      .optional()
      .describe('Arguments, e.g. ["--model", "/models/qwen", "--port", "8000"].'),
    env: z
      .array(z.object({ name: EnvVarName, value: z.string().max(32768) }).strict())
      .max(128)
      .optional()
      .describe('Plain environment variables; use spec.secrets for sensitive values.'),
    port: Port.default(8000).describe('Port the OpenAI-compatible server listens on, inside the pod only.'),
    readinessPath: z
      .string()
      .regex(/^\//)
      .max(256)
      .default('/health')
      .describe('HTTP path that answers 200 once the model is loaded (vLLM/TGI/llama.cpp: /health).'),
    startupTimeoutSeconds: z
      .int32()
      .min(10)
      .max(7200)
      .default(900)
      .describe('How long the model may take to load before the pod is restarted.'),
    resources: ModelResources.prefault({}).describe('Requests and limits for the model container.'),
    volumes: z
      .array(Volume)
      .max(32)
      .optional()
      .describe('Volumes mounted into the model container (weights, caches).'),
  })
  .strict();

export const RolloutSpec = withRules(
  z
    .object({
      maxSurge: IntOrPercent.default(1).describe('Extra pods allowed during a rollout.'),
      maxUnavailable: IntOrPercent.default(0).describe('Pods that may be unavailable during a rollout.'),
    })
    .strict(),
  [
    {
      cel: "!((self.maxSurge == 0 || self.maxSurge == '0%') && (self.maxUnavailable == 0 || self.maxUnavailable == '0%'))",
      message: 'maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod',
      holds: (v) => !([0, '0%'].includes(v.maxSurge) && [0, '0%'].includes(v.maxUnavailable)),
    },
  ],
);

export const AutoscalingSpec = withRules(
  z
    .object({
      minReplicas: z.int32().min(1).default(1),
      maxReplicas: z.int32().min(1).max(1000),
      targetCPUUtilizationPercentage: z.int32().min(1).max(100).default(80),
    })
    .strict(),
  [
    {
      cel: 'self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must not exceed maxReplicas',
      field: 'minReplicas',
      holds: (v) => v.minReplicas <= v.maxReplicas,
    },
  ],
);

export const FailMode = z
  .enum(['closed', 'open'])
  .describe('What happens when a scanner errors: closed blocks the request, open lets it through.');

export const GuardSpec = z
  .object({
    policyRef: z
      .object({ name: DnsSubdomain.describe('GuardrailPolicy name, in the same namespace.') })
      .strict()
      .describe('The GuardrailPolicy this deployment enforces.'),
    image: Image.optional().describe('Override the guard image (air-gapped registries).'),
    resources: Resources.optional().describe('Requests and limits for the guard container.'),
    failMode: FailMode.optional().describe("Overrides the policy's failMode for this deployment."),
    apiKeySecretRef: SecretKeyRef.optional().describe(
      'Secret key holding client API keys, one `id:key` per line; unset disables key checks.',
    ),
    rateLimit: z
      .object({
        requestsPerMinute: z.int32().min(1).describe('Sustained requests per minute per API key.'),
        burst: z.int32().min(1).optional().describe('Bucket size; defaults to requestsPerMinute.'),
      })
      .strict()
      .optional()
      .describe('Per-API-key token bucket.'),
    maxRequestBytes: z
      .int32()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Larger request bodies are refused with 413.'),
    upstreamTimeoutSeconds: z
      .int32()
      .min(1)
      .max(3600)
      .default(120)
      .describe('Model call timeout (504 after).'),
    maxConcurrency: z.int32().min(1).max(10000).default(64).describe('Requests in flight toward the model.'),
  })
  .strict();

export const OutputCheckSpec = z
  .object({
    enabled: z.boolean().default(false).describe('Add the output-check container between guard and model.'),
    resources: Resources.optional(),
  })
  .strict();

export const EgressSpec = withRules(
  z
    .object({
      mode: z
        .enum(['none', 'dns', 'custom'])
        .default('dns')
        .describe('none: no egress; dns: only DNS to kube-system; custom: DNS plus the rules below.'),
      rules: z
        .array(passthroughObject('A NetworkPolicyEgressRule (to, ports).'))
        .max(32)
        .optional()
        .describe('Extra egress rules when mode is custom.'),
    })
    .strict(),
  [
    {
      cel: "self.mode != 'custom' || (has(self.rules) && size(self.rules) > 0)",
      message: 'egress.mode custom needs at least one entry in egress.rules',
      field: 'rules',
      holds: (v) => v.mode !== 'custom' || (v.rules?.length ?? 0) > 0,
    },
  ],
);

export const NetworkSpec = z
  .object({
    allowFrom: z
      .array(NetworkPeer)
      .max(32)
      .optional()
      .describe('Peers allowed to reach the guard port. Empty: no client can connect.'),
    metricsFrom: z
      .array(NetworkPeer)
      .max(32)
      .optional()
      .describe('Peers allowed to scrape the metrics port.'),
    egress: EgressSpec.prefault({}),
  })
  .strict();

export const SecuritySpec = z
  .object({
    seccomp: z
      .enum(['RuntimeDefault', 'Generated'])
      .default('RuntimeDefault')
      .describe('Generated: Localhost profiles built by Bulwark for guard and output check.'),
    appArmor: z
      .enum(['NodeDefault', 'RuntimeDefault', 'Generated', 'Unconfined'])
      .default('NodeDefault')
      .describe(
        'NodeDefault: no profile field, so the runtime applies its default profile on AppArmor nodes and nodes without AppArmor (SELinux) still admit the pod. RuntimeDefault: required explicitly; the kubelet rejects the pod on nodes without AppArmor. Generated: Localhost profiles for guard and output check. Unconfined: same as NodeDefault (Pod Security forbids an explicit Unconfined).',
      ),
    runtimeClassName: DnsSubdomain.optional().describe('e.g. nvidia, kata-cc for confidential containers.'),
    requireImageDigest: z.boolean().default(false).describe('Refuse images not pinned by @sha256 digest.'),
  })
  .strict();

export const SecretMount = withRules(
  z
    .object({
      secretName: DnsSubdomain,
      key: z.string().min(1).max(253),
      env: EnvVarName.optional().describe('Expose the key as this environment variable.'),
      mountPath: z
        .string()
        .regex(/^\//)
        .max(512)
        .optional()
        .describe('Or mount the key as a file at this path.'),
    })
    .strict(),
  [
    {
      cel: 'has(self.env) != has(self.mountPath)',
      message: 'set exactly one of env or mountPath for a secret',
      holds: (v) => (v.env === undefined) !== (v.mountPath === undefined),
    },
  ],
);

export const SchedulingSpec = z
  .object({
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(Toleration).max(32).optional(),
    affinity: Affinity.optional(),
    priorityClassName: DnsSubdomain.optional(),
  })
  .strict();

export const LlmDeploymentSpec = withRules(
  z
    .object({
      model: ModelSpec.describe('The OpenAI-compatible model server (vLLM, TGI, NIM, llama.cpp).'),
      replicas: z.int32().min(0).max(1000).default(1),
      rollout: RolloutSpec.prefault({}).describe(
        'Rolling-update strategy; safe defaults surge one pod first.',
      ),
      autoscaling: AutoscalingSpec.optional().describe(
        'Adds a HorizontalPodAutoscaler; replicas is then ignored.',
      ),
      guard: GuardSpec.describe('The guard proxy in front of the model.'),
      outputCheck: OutputCheckSpec.prefault({}),
      network: NetworkSpec.prefault({}),
      security: SecuritySpec.prefault({}),
      secrets: z
        .array(SecretMount)
        .max(64)
        .optional()
        .describe('Secret keys wired into the model container.'),
      scheduling: SchedulingSpec.optional(),
    })
    .strict(),
  [
    {
      cel: "!self.security.requireImageDigest || self.model.image.contains('@sha256:')",
      message:
        'model.image must be pinned by digest (image@sha256:...) when security.requireImageDigest is true',
      field: 'model.image',
      holds: (v) => !v.security.requireImageDigest || isDigestPinned(v.model.image),
    },
    {
      cel: "!self.security.requireImageDigest || !has(self.guard.image) || self.guard.image.contains('@sha256:')",
      message:
        'guard.image must be pinned by digest (image@sha256:...) when security.requireImageDigest is true',
      field: 'guard.image',
      holds: (v) =>
        !v.security.requireImageDigest || v.guard.image === undefined || isDigestPinned(v.guard.image),
    },
    {
      cel: 'self.model.port != 8080 && self.model.port != 8081 && self.model.port != 9090 && self.model.port != 9091',
      message: 'model.port must not be 8080, 8081, 9090 or 9091: the guard and output check use them',
      field: 'model.port',
      holds: (v) => !(RESERVED_PORTS as readonly number[]).includes(v.model.port),
    },
  ],
);

export const PolicyStatusRef = z.object({
  name: z.string().describe('GuardrailPolicy enforced by the running pods.'),
  hash: z.string().describe('Content hash of that policy.'),
});

export const LlmDeploymentStatus = z.object({
  observedGeneration: z.int().optional(),
  conditions: Conditions.optional(),
  replicas: z.int32().optional(),
  readyReplicas: z.int32().optional(),
  updatedReplicas: z.int32().optional(),
  policy: PolicyStatusRef.optional(),
  endpoint: z.string().optional().describe('In-cluster URL of the guarded OpenAI-compatible API.'),
});

export const LlmDeployment = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(LLM_DEPLOYMENT_KIND),
  metadata: ObjectMeta,
  spec: LlmDeploymentSpec,
  status: LlmDeploymentStatus.optional(),
});

export type LlmDeployment = z.output<typeof LlmDeployment>;
export type LlmDeploymentSpec = z.output<typeof LlmDeploymentSpec>;
export type LlmDeploymentStatus = z.output<typeof LlmDeploymentStatus>;
