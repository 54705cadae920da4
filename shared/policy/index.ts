import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { GuardrailPolicy, type GuardrailPolicySpec } from '../../api/v1alpha1/index.ts';
import { issuesToProblems, type ManifestProblem } from '../manifests.ts';

/** JSON with sorted keys, so that equal specs hash equally whatever order the YAML listed them in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short content hash of a policy spec (after defaulting); names policy ConfigMaps and labels pods. */
export function policyHash(spec: GuardrailPolicySpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

export interface LoadedPolicy {
  name: string;
  namespace?: string;
  spec: GuardrailPolicySpec;
  hash: string;
}

export class PolicyError extends Error {
  constructor(
    message: string,
    readonly problems: ManifestProblem[],
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

/**
 * Parses a GuardrailPolicy manifest (the YAML a user would `kubectl apply`) and validates it fully. A file
 * of several documents (a policy next to its validation dataset ConfigMap, as in manifests/samples) is
 * fine as long as exactly one of them is a GuardrailPolicy.
 */
export function parsePolicyManifest(text: string): LoadedPolicy {
  const docs = parseAllDocuments(text);
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) throw new PolicyError(`policy is not valid YAML: ${broken.errors[0]?.message}`, []);
  const objects = docs.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  const isPolicy = (o: unknown) => (o as { kind?: unknown } | null)?.kind === 'GuardrailPolicy';
  const policies = objects.length === 1 ? objects : objects.filter(isPolicy);
  if (policies.length !== 1) {
    throw new PolicyError(
      `expected one GuardrailPolicy document, found ${policies.length} among ${objects.length} documents`,
      [],
    );
  }
  const object = policies[0];
  const parsed = GuardrailPolicy.safeParse(object);
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues);
    const summary = problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
    throw new PolicyError(`invalid GuardrailPolicy: ${summary}`, problems);
  }
  const { metadata, spec } = parsed.data;
  return {
    name: metadata.name ?? 'unnamed',
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    spec,
    hash: policyHash(spec),
  };
}
