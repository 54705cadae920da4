import { createHash } from 'node:crypto';
import { parse } from 'yaml';
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

/** Parses a GuardrailPolicy manifest (the YAML a user would `kubectl apply`) and validates it fully. */
export function parsePolicyManifest(text: string): LoadedPolicy {
  let object: unknown;
  try {
    object = parse(text);
  } catch (err) {
    throw new PolicyError(`policy is not valid YAML: ${(err as Error).message}`, []);
  }
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
