// What the operator would apply for the repository's samples, computed offline with its pure builders
// (operator/desired/). The delivery tests lint it, check it against Pod Security admission and feed its
// profile ConfigMap to the node installer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';
import { buildDesiredState } from '../../operator/desired/index.ts';
import type { KubeObject, OperatorConfig } from '../../operator/desired/types.ts';
import { REPO_ROOT } from './tools.ts';

async function sampleDocs(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(REPO_ROOT, 'manifests', 'samples', file), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}

export interface SampleVariant {
  /** The sample's spec.security.seccomp / appArmor. */
  seccomp?: 'RuntimeDefault' | 'Generated';
  appArmor?: 'RuntimeDefault' | 'Generated';
  namespace?: string;
  config?: Partial<OperatorConfig>;
}

/** buildDesiredState for manifests/samples/llmdeployment.yaml and its GuardrailPolicy. */
export async function sampleDesiredState(variant: SampleVariant = {}): Promise<KubeObject[]> {
  const [rawLlm] = (await sampleDocs('llmdeployment.yaml')).filter((d) => d.kind === 'LlmDeployment');
  const [rawPolicy] = (await sampleDocs('guardrailpolicy.yaml')).filter((d) => d.kind === 'GuardrailPolicy');
  const llmInput = structuredClone(rawLlm) as {
    metadata: Record<string, unknown>;
    spec: { security: Record<string, unknown> };
  };
  llmInput.metadata.uid = '00000000-0000-4000-8000-000000000001';
  if (variant.namespace) llmInput.metadata.namespace = variant.namespace;
  if (variant.seccomp) llmInput.spec.security.seccomp = variant.seccomp;
  if (variant.appArmor) llmInput.spec.security.appArmor = variant.appArmor;
  const policyInput = structuredClone(rawPolicy) as { metadata: Record<string, unknown> };
  if (variant.namespace) policyInput.metadata.namespace = variant.namespace;

  const llm = LlmDeployment.parse(llmInput);
  const policy = { ...GuardrailPolicy.parse(policyInput), hash: 'sample-policy-hash' };
  const config: OperatorConfig = {
    guardImage: 'ghcr.io/bulwark-dev/guard:0.1.0',
    securityProfilesOperator: false,
    serviceMonitor: false,
    ...variant.config,
  };
  return buildDesiredState(llm, { policy, secretsHash: 'sample-secrets-hash' }, config);
}
