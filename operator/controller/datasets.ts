// Validation datasets: the ConfigMaps GuardrailPolicies name in spec.validation.datasetRef. Their content is
// part of a verdict, so the operator caches a digest per key (never the prompts themselves) and re-validates
// the policies that use a ConfigMap when its data changes.

import { shortHash } from '../desired/meta.ts';
import type { KObject } from './kube.ts';

const digest = (value: string) => shortHash(value, 16);

/** Informer transform for ConfigMaps: each data value becomes a digest of it. */
export function configMapDigests(cm: KObject): KObject {
  const { name, namespace, uid, resourceVersion } = cm.metadata;
  const data = (cm.data ?? {}) as Record<string, string>;
  return {
    apiVersion: cm.apiVersion,
    kind: cm.kind,
    metadata: { name, namespace, uid, resourceVersion },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, digest(v)])),
  };
}

/** spec.validation.datasetRef of a raw GuardrailPolicy, with the schema's default key. */
export function datasetRefOf(policy: KObject): { name: string; key: string } | undefined {
  const ref = (policy.spec as { validation?: { datasetRef?: { name?: string; key?: string } } } | undefined)
    ?.validation?.datasetRef;
  return ref?.name ? { name: ref.name, key: ref.key ?? 'dataset.jsonl' } : undefined;
}

/** Whether two digested ConfigMaps differ in their data (labels, annotations and the like do not count). */
export function dataChanged(a: KObject, b: KObject): boolean {
  return JSON.stringify(a.data ?? {}) !== JSON.stringify(b.data ?? {});
}
