import { stringify } from 'yaml';
import { API_VERSION, GUARDRAIL_POLICY_KIND, type LlmDeployment } from '../../api/v1alpha1/index.ts';
import { Annotation, Component, Label, PolicyFile } from '../constants.ts';
import { childMeta, names, shortHash } from './meta.ts';
import type { KubeObject, OperatorConfig, ResolvedInputs } from './types.ts';

/**
 * The policy file the guard reads (`--policy`): a GuardrailPolicy manifest with the defaulted spec and
 * nothing that changes without the spec changing (no uid, resourceVersion or status). Keys are sorted
 * so the same spec always renders to the same bytes, whatever order its YAML listed them in: the
 * ConfigMap is immutable and named by the hash, so equal names must mean equal data.
 */
export function renderPolicyFile(inputs: ResolvedInputs): string {
  const { metadata, spec } = inputs.policy;
  const manifest = {
    apiVersion: API_VERSION,
    kind: GUARDRAIL_POLICY_KIND,
    metadata: { name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) },
    spec,
  };
  return stringify(manifest, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * The name of the immutable ConfigMap holding `inputs`' policy file: `<llm>-policy-<hash of the file>`.
 * The file, not the spec, is hashed because the file also names the policy: two policies with equal
 * specs (a rename, or switching `policyRef` to a copy) must not map to one immutable object whose data
 * would have to change.
 */
export function policyConfigMapName(llm: LlmDeployment, inputs: ResolvedInputs): string {
  const fileHash = shortHash(renderPolicyFile(inputs), 16);
  return names.policyConfigMap(llm, fileHash);
}

/**
 * Immutable ConfigMap named by its content: a policy change creates a new one (and the pod template's
 * hash annotation changes, which rolls the pods), so running pods never see a half-applied policy and a
 * rollback finds the old one. Immutability also spares the kubelet a watch per pod
 * (https://kubernetes.io/docs/concepts/configuration/configmap/#configmap-immutable). The label carries
 * the spec hash, the one status and the guard report.
 */
export function buildPolicyConfigMap(
  llm: LlmDeployment,
  inputs: ResolvedInputs,
  _config: OperatorConfig,
): KubeObject {
  const hash = inputs.policy.hash;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMeta(llm, policyConfigMapName(llm, inputs), {
      component: Component.policy,
      labels: { [Label.policyHash]: hash },
      annotations: { [Annotation.policyName]: inputs.policy.metadata.name ?? '' },
    }),
    immutable: true,
    data: { [PolicyFile.key]: renderPolicyFile(inputs) },
  };
}
