import { createHash } from 'node:crypto';
import { API_VERSION, LLM_DEPLOYMENT_KIND, type LlmDeployment } from '../../api/v1alpha1/index.ts';
import { APP_NAME, Component, Label, MANAGED_BY, PART_OF } from '../constants.ts';
import type { KubeObject } from './types.ts';

/**
 * The spec is valid for the API but cannot be turned into objects (e.g. a name too long for a label).
 * The reconciler reports it as `InvalidSpec` and does not retry until the spec changes.
 */
export class InvalidSpecError extends Error {
  constructor(
    message: string,
    /** Dotted path of the offending field, e.g. `metadata.name`. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'InvalidSpecError';
  }
}

/** Label values are at most 63 characters (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set). */
const MAX_LABEL_VALUE = 63;

export function llmName(llm: LlmDeployment): string {
  const name = llm.metadata.name;
  if (!name) throw new InvalidSpecError('the LlmDeployment has no metadata.name', 'metadata.name');
  if (name.length > MAX_LABEL_VALUE) {
    throw new InvalidSpecError(
      `metadata.name must be at most ${MAX_LABEL_VALUE} characters: it is the app.kubernetes.io/instance label of every child`,
      'metadata.name',
    );
  }
  return name;
}

export function llmNamespace(llm: LlmDeployment): string {
  const namespace = llm.metadata.namespace;
  // The API server always sets it; only a caller that forgot to default it (render, tests) gets here.
  if (!namespace) throw new Error(`LlmDeployment ${llm.metadata.name ?? '?'} has no metadata.namespace`);
  return namespace;
}

/** The immutable Deployment selector: never add to it, or existing Deployments can no longer be updated. */
export function selectorLabels(llm: LlmDeployment): Record<string, string> {
  return { [Label.name]: APP_NAME, [Label.instance]: llmName(llm) };
}

export function commonLabels(
  llm: LlmDeployment,
  component: string = Component.server,
): Record<string, string> {
  return {
    ...selectorLabels(llm),
    [Label.component]: component,
    [Label.partOf]: PART_OF,
    [Label.managedBy]: MANAGED_BY,
  };
}

/**
 * The controller reference that makes the garbage collector delete a child with its LlmDeployment.
 * Offline rendering has no uid; then there is no owner reference rather than a fake one, because a
 * reference to a uid that does not exist makes the garbage collector delete the object at once.
 */
export function ownerReferences(llm: LlmDeployment): NonNullable<KubeObject['metadata']['ownerReferences']> {
  const uid = llm.metadata.uid;
  if (!uid) return [];
  return [
    {
      apiVersion: API_VERSION,
      kind: LLM_DEPLOYMENT_KIND,
      name: llmName(llm),
      uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

/** Metadata of a namespaced child: name, namespace, labels and the controller reference. */
export function childMeta(
  llm: LlmDeployment,
  name: string,
  options: { component?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): KubeObject['metadata'] {
  const owners = ownerReferences(llm);
  return {
    name,
    namespace: llmNamespace(llm),
    labels: { ...commonLabels(llm, options.component), ...options.labels },
    ...(options.annotations ? { annotations: options.annotations } : {}),
    ...(owners.length > 0 ? { ownerReferences: owners } : {}),
  };
}

/** Metadata of a cluster-scoped child: no namespace and no owner reference, the owner's namespace as a label. */
export function clusterChildMeta(
  llm: LlmDeployment,
  name: string,
  component: string,
): KubeObject['metadata'] {
  return {
    name,
    labels: { ...commonLabels(llm, component), [Label.instanceNamespace]: llmNamespace(llm) },
  };
}

export function shortHash(text: string, length = 10): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Names of the children, exported so the reconciler (status endpoint, pruning) and tests agree with
 * the builders. LlmDeployment names are DNS subdomains of at most 63 characters (see llmName).
 */
export const names = {
  deployment: (llm: LlmDeployment) => llmName(llm),
  /**
   * Services need a DNS-1035 label (no dots, a leading letter). Names that are not one get a
   * readable prefix and a hash suffix, so two LlmDeployments never share a Service name.
   */
  service: (llm: LlmDeployment) => {
    const name = llmName(llm);
    if (DNS1035.test(name)) return name;
    const readable = `llm-${name.replace(/\./g, '-')}`.slice(0, 52).replace(/-+$/, '');
    return `${readable}-${shortHash(name)}`;
  },
  /** Suffixed so an LlmDeployment called `default` does not collide with the namespace's default account. */
  serviceAccount: (llm: LlmDeployment) => `${llmName(llm)}-llm`,
  networkPolicy: (llm: LlmDeployment) => llmName(llm),
  podDisruptionBudget: (llm: LlmDeployment) => llmName(llm),
  horizontalPodAutoscaler: (llm: LlmDeployment) => llmName(llm),
  serviceMonitor: (llm: LlmDeployment) => llmName(llm),
  policyConfigMap: (llm: LlmDeployment, contentHash: string) => `${llmName(llm)}-policy-${contentHash}`,
  securityProfilesConfigMap: (llm: LlmDeployment) => `${llmName(llm)}-security-profiles`,
} as const;
