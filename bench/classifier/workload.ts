/** The workload both policy benchmarks share: a policy's promptInjection classifier and a dataset's texts. */
import { readFileSync } from 'node:fs';
import type { ClassifierParams } from '../../shared/classifier/from-params.ts';
import { parseDataset } from '../../shared/eval/index.ts';
import { parsePolicyManifest } from '../../shared/policy/index.ts';

/** parseArgs options: --dataset, --split, --policy (defaults: the shared validation split, the default policy). */
export const workloadOptions = {
  dataset: {
    type: 'string',
    default: new URL('../../../shared/datasets/all.jsonl', import.meta.url).pathname,
  },
  split: { type: 'string', default: 'validation' },
  policy: {
    type: 'string',
    default: new URL('../../policies/default.yaml', import.meta.url).pathname,
  },
} as const;

export function readWorkload(values: { dataset?: string; split?: string; policy?: string }): {
  params: ClassifierParams;
  texts: string[];
} {
  const file = values.policy as string;
  const policy = parsePolicyManifest(readFileSync(file, 'utf8'));
  const params = policy.spec.input.find((e) => e.type === 'promptInjection')?.params?.classifier;
  if (!params) throw new Error(`${file}: promptInjection has no classifier`);
  const texts = parseDataset(readFileSync(values.dataset as string, 'utf8'), {
    split: values.split as string,
  }).map((r) => r.text);
  return { params, texts };
}
