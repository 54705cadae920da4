import { z } from 'zod';
import { passthroughObject } from './meta.ts';

const quantityPattern =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A Kubernetes resource quantity such as `500m`, `2Gi` or `4`. */
export const Quantity = z
  .union([
    z.number().nonnegative(),
    z.string().regex(new RegExp(quantityPattern), 'must be a quantity such as 500m, 2Gi or 4'),
  ])
  .meta({ 'x-kubernetes-int-or-string': true, pattern: quantityPattern });

/** An absolute count or a percentage, as in a Deployment's rolling-update strategy. */
export const IntOrPercent = z
  .union([z.int32().nonnegative(), z.string().regex(/^[0-9]+%$/)])
  .meta({ 'x-kubernetes-int-or-string': true });

export const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label: lower-case letters, digits and "-"');

export const DnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and "."',
  );

export const EnvVarName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'must be a valid environment variable name');

export const Port = z.int32().min(1).max(65535);

export const ResourceList = z
  .object({
    cpu: Quantity.optional().describe('CPU, e.g. "500m" or 2.'),
    memory: Quantity.optional().describe('Memory, e.g. "512Mi".'),
    'ephemeral-storage': Quantity.optional().describe('Local ephemeral storage, e.g. "1Gi".'),
  })
  .strict();

export const Resources = z
  .object({
    requests: ResourceList.optional().describe('Minimum resources the scheduler reserves.'),
    limits: ResourceList.optional().describe('Hard limits enforced by the kubelet.'),
  })
  .strict();

export const ModelResources = Resources.extend({
  gpus: z
    .int32()
    .min(0)
    .max(16)
    .default(0)
    .describe('NVIDIA GPUs per replica, requested and limited as nvidia.com/gpu.'),
}).strict();

export const LabelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels that must all match.'),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).max(64).optional(),
          })
          .strict(),
      )
      .max(16)
      .optional()
      .describe('Set-based requirements that must all match.'),
  })
  .strict();

/** A NetworkPolicy peer (https://kubernetes.io/docs/concepts/services-networking/network-policies/). */
export const NetworkPeer = z
  .object({
    podSelector: LabelSelector.optional().describe('Pods (in this namespace, or in the namespaces below).'),
    namespaceSelector: LabelSelector.optional().describe('Namespaces whose pods are allowed.'),
    ipBlock: z
      .object({
        cidr: z.string().min(1).max(64).describe('Allowed CIDR, e.g. 10.0.0.0/8.'),
        except: z.array(z.string().max(64)).max(32).optional().describe('CIDRs excluded from cidr.'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type LabelSelector = z.output<typeof LabelSelector>;
export type NetworkPeer = z.output<typeof NetworkPeer>;

export const Toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.int().optional(),
  })
  .strict();

export const SecretKeyRef = z
  .object({
    name: DnsSubdomain.describe('Secret name, in the LlmDeployment namespace.'),
    key: z.string().min(1).max(253).describe('Key within the Secret.'),
  })
  .strict();

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);

export const Condition = z.object({
  type: z.string().describe('Condition type, e.g. Ready.'),
  status: ConditionStatus,
  reason: z.string().describe('CamelCase reason for the last transition.'),
  message: z.string().describe('Human-readable details.'),
  lastTransitionTime: z.string().describe('When status last changed (RFC 3339).'),
  observedGeneration: z.int().optional().describe('metadata.generation the condition was computed from.'),
});
export type Condition = z.infer<typeof Condition>;

export const Conditions = z
  .array(Condition)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

export const ObjectMeta = z
  .object({
    name: DnsSubdomain.optional(),
    namespace: DnsLabel.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    generation: z.number().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
  })
  .loose();

export const Affinity = passthroughObject('Pod affinity, as in a core PodSpec (passed through verbatim).');
