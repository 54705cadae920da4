import type { LlmDeployment } from '../../api/v1alpha1/index.ts';
import { canonicalJson } from '../../shared/policy/index.ts';
import { shortHash } from './meta.ts';

/** One Secret key the pod reads. */
export interface SecretKeyReference {
  secretName: string;
  key: string;
  /** Where it is used, for messages such as `SecretNotFound`. */
  field: string;
}

/**
 * Every Secret key the generated pod references, in spec order: the guard's API keys and the model's
 * `spec.secrets`. The reconciler reads exactly these to check they exist and to compute the hash.
 */
export function referencedSecrets(llm: LlmDeployment): SecretKeyReference[] {
  const refs: SecretKeyReference[] = [];
  const apiKeys = llm.spec.guard.apiKeySecretRef;
  if (apiKeys) refs.push({ secretName: apiKeys.name, key: apiKeys.key, field: 'spec.guard.apiKeySecretRef' });
  llm.spec.secrets?.forEach((secret, index) => {
    refs.push({ secretName: secret.secretName, key: secret.key, field: `spec.secrets[${index}]` });
  });
  return refs;
}

/**
 * SHA-256 over the referenced keys only (not whole Secrets), so that rotating a key the pod reads rolls
 * the pods and editing an unrelated key of the same Secret does not. `data` maps Secret name to its
 * `data` (base64 values, as the API returns them); a missing Secret or key hashes as absent.
 */
export function secretsHash(
  llm: LlmDeployment,
  data: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>,
): string {
  const entries = referencedSecrets(llm)
    .map(({ secretName, key }) => ({ secretName, key, value: data.get(secretName)?.[key] ?? null }))
    .sort((a, b) => (`${a.secretName}\0${a.key}` < `${b.secretName}\0${b.key}` ? -1 : 1));
  return shortHash(canonicalJson(entries), 16);
}

/**
 * What the operator keeps of a Secret's `data`: each base64 value replaced by its SHA-256 (hex), so
 * the hash can be computed without holding secret values. `bulwark render` applies the same transform
 * to Secrets in its input files so that it prints the annotation the operator would set.
 */
export function secretDataDigests(data: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, shortHash(value, 64)]));
}
