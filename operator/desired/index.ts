import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { buildPolicyConfigMap } from './configmap-policy.ts';
import { buildDeployment } from './deployment.ts';
import { buildHorizontalPodAutoscaler } from './hpa.ts';
import { buildNetworkPolicy } from './networkpolicy.ts';
import { buildPodDisruptionBudget } from './pdb.ts';
import {
  buildSecurityProfilesConfigMap,
  buildSpoProfiles,
  SPO_APPARMOR_API_VERSION,
  SPO_SECCOMP_API_VERSION,
} from './securityprofiles.ts';
import { buildService } from './service.ts';
import { buildServiceAccount } from './serviceaccount.ts';
import { buildServiceMonitor } from './servicemonitor.ts';
import type { Builder, KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

export { guardAppArmorProfile } from './apparmor.ts';
export { buildPolicyConfigMap, policyConfigMapName, renderPolicyFile } from './configmap-policy.ts';
export {
  buildDeployment,
  buildPodTemplate,
  DEFAULT_GUARD_RESOURCES,
  DEFAULT_OUTPUT_CHECK_RESOURCES,
} from './deployment.ts';
export { buildHorizontalPodAutoscaler } from './hpa.ts';
export { InvalidSpecError, names } from './meta.ts';
export { buildNetworkPolicy, DNS_EGRESS_RULE } from './networkpolicy.ts';
export { buildPodDisruptionBudget } from './pdb.ts';
export { guardSeccompProfile, type SeccompProfile, seccompProfileJson } from './seccomp.ts';
export { referencedSecrets, type SecretKeyReference, secretDataDigests, secretsHash } from './secrets.ts';
export { buildSecurityProfilesConfigMap, buildSpoProfiles, generatedProfiles } from './securityprofiles.ts';
export { buildService, endpointUrl } from './service.ts';
export { buildServiceAccount } from './serviceaccount.ts';
export { buildServiceMonitor } from './servicemonitor.ts';
export type { Builder, KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * The builders in apply order. Objects a pod needs exist before the Deployment that starts it
 * (ServiceAccount, policy ConfigMap, profiles), and the NetworkPolicy before the first pod so that no
 * pod is ever reachable unfiltered.
 */
export const BUILDERS: readonly Builder[] = [
  buildServiceAccount,
  buildPolicyConfigMap,
  buildSecurityProfilesConfigMap,
  buildSpoProfiles,
  buildNetworkPolicy,
  buildService,
  buildDeployment,
  buildPodDisruptionBudget,
  buildHorizontalPodAutoscaler,
  buildServiceMonitor,
];

/**
 * Every object the operator wants for one LlmDeployment, in apply order. Pure: the same inputs give
 * the same objects (deep-equal), so an idle cluster sees no writes; the result shares no references
 * with the inputs. Throws InvalidSpecError when the
 * spec cannot be turned into objects.
 */
export function buildDesiredState(
  llm: LlmDeployment,
  inputs: ResolvedInputs,
  config: OperatorConfig,
): KubeObject[] {
  const objects = BUILDERS.flatMap((build) => {
    const result = build(llm, inputs, config);
    return result === null ? [] : Array.isArray(result) ? result : [result];
  });
  // Builders pass parts of the spec through (tolerations, peers, rules); a copy keeps a caller that
  // decorates the result from mutating the informer's cached LlmDeployment.
  return structuredClone(objects);
}

export interface OwnedKind {
  apiVersion: string;
  kind: string;
  /** Plural resource name, for RBAC rules and REST paths. */
  resource: string;
  namespaced: boolean;
  /** Only served when an optional operator is installed (its CRD must exist before watching it). */
  optionalCrd?: 'prometheus-operator' | 'security-profiles-operator';
}

/**
 * Every kind buildDesiredState can return: the reconciler watches and prunes exactly these (selected by
 * `app.kubernetes.io/managed-by=bulwark`), and the operator's ClusterRole grants exactly these.
 * Cluster-scoped kinds carry no owner reference, so the reconciler must delete them itself (by the
 * `app.kubernetes.io/instance` and `bulwark.dev/instance-namespace` labels) when the LlmDeployment goes.
 */
export const ownedKinds: readonly OwnedKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    resource: 'networkpolicies',
    namespaced: true,
  },
  { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    resource: 'poddisruptionbudgets',
    namespaced: true,
  },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    resource: 'servicemonitors',
    namespaced: true,
    optionalCrd: 'prometheus-operator',
  },
  {
    apiVersion: SPO_SECCOMP_API_VERSION,
    kind: 'SeccompProfile',
    resource: 'seccompprofiles',
    namespaced: false,
    optionalCrd: 'security-profiles-operator',
  },
  {
    apiVersion: SPO_APPARMOR_API_VERSION,
    kind: 'AppArmorProfile',
    resource: 'apparmorprofiles',
    namespaced: false,
    optionalCrd: 'security-profiles-operator',
  },
];
