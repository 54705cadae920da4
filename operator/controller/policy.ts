// Deciding whether a GuardrailPolicy may roll out. The API server has already enforced the CRD schema
// and its CEL rules; what it cannot check runs here: the zod schema's offline rules (regexes compile
// under the `u` flag, parameters match the scanner type), an optional compile step, and the dataset
// gate (evaluate the policy on labeled prompts from a ConfigMap before any pod sees it).
import {
  type EvaluationFigures,
  GuardrailPolicy,
  type GuardrailPolicySpec,
} from '../../api/v1alpha1/index.ts';
import { issuesToProblems } from '../../shared/manifests.ts';
import { canonicalJson, policyHash } from '../../shared/policy/index.ts';
import { Reason } from '../constants.ts';
import { shortHash } from '../desired/meta.ts';
import { datasetRefOf } from './datasets.ts';
import type { KObject } from './kube.ts';

export type ValidPolicy = GuardrailPolicy & { hash: string };

export type PolicyVerdict =
  | { valid: true; policy: ValidPolicy; message: string; evaluation?: EvaluationFigures }
  | { valid: false; reason: string; message: string; evaluation?: EvaluationFigures };

export interface PolicyValidator {
  validate(raw: KObject): Promise<PolicyVerdict>;
}

/** Throws with a readable message if the scanners cannot be built from `spec`. */
export type PolicyCompiler = (spec: GuardrailPolicySpec) => void | Promise<void>;

/** Evaluates `spec` on a labeled JSONL dataset; supplied by shared/eval once it exists. */
export type DatasetGate = (spec: GuardrailPolicySpec, datasetJsonl: string) => Promise<EvaluationFigures>;

export interface PolicyValidatorOptions {
  compile?: PolicyCompiler;
  datasetGate?: DatasetGate;
  /** Reads a key of a ConfigMap in the policy's namespace; undefined when it does not exist. */
  readDataset?: (namespace: string, name: string, key: string) => Promise<string | undefined>;
  /**
   * A version of the dataset a policy names (a digest of that ConfigMap key), or undefined when unknown or
   * missing. It is part of the verdict's cache key, so a changed dataset is evaluated again.
   */
  datasetVersion?: (namespace: string, name: string, key: string) => string | undefined;
  /** Verdicts remembered per policy content and dataset version (the dataset gate is expensive). */
  cacheSize?: number;
}

/**
 * Schema + compile check now, dataset gate when one is supplied. Verdicts are cached by the policy's
 * uid and content, so the 100 LlmDeployments sharing one policy validate it once.
 */
export function createPolicyValidator(opts: PolicyValidatorOptions = {}): PolicyValidator {
  const cache = new Map<string, Promise<PolicyVerdict>>();
  const cacheSize = opts.cacheSize ?? 1024;

  async function evaluate(raw: KObject): Promise<PolicyVerdict> {
    // Status and server-set metadata are not the user's input; only the spec decides validity.
    const { name, namespace, uid, generation } = raw.metadata;
    const parsed = GuardrailPolicy.safeParse({
      apiVersion: raw.apiVersion,
      kind: raw.kind,
      metadata: { name, namespace, uid, generation },
      spec: raw.spec,
    });
    if (!parsed.success) {
      const problems = issuesToProblems(parsed.error.issues)
        .map((p) => `${p.path || '(root)'}: ${p.message}`)
        .join('; ');
      return { valid: false, reason: Reason.PolicyInvalid, message: `invalid GuardrailPolicy: ${problems}` };
    }
    const policy: ValidPolicy = { ...parsed.data, hash: policyHash(parsed.data.spec) };
    if (opts.compile) {
      try {
        await opts.compile(policy.spec);
      } catch (err) {
        return {
          valid: false,
          reason: Reason.PolicyInvalid,
          message: `scanners cannot be built: ${(err as Error).message}`,
        };
      }
    }
    const gate = policy.spec.validation;
    if (!gate) return { valid: true, policy, message: `policy hash ${policy.hash} is valid` };
    if (!opts.datasetGate || !opts.readDataset) {
      return {
        valid: true,
        policy,
        message: `policy hash ${policy.hash} is valid; the dataset gate is not available in this build, so spec.validation was not evaluated`,
      };
    }
    const ref = gate.datasetRef;
    const dataset = await opts.readDataset(namespace ?? '', ref.name, ref.key);
    if (dataset === undefined) {
      return {
        valid: false,
        reason: Reason.ValidationFailed,
        message: `validation dataset ConfigMap ${ref.name} (key ${ref.key}) not found in ${namespace}`,
      };
    }
    let evaluation: EvaluationFigures;
    try {
      evaluation = await opts.datasetGate(policy.spec, dataset);
    } catch (err) {
      return {
        valid: false,
        reason: Reason.ValidationFailed,
        message: `the dataset gate could not evaluate the policy: ${(err as Error).message}`,
      };
    }
    const failures: string[] = [];
    if (evaluation.tpr < gate.minDetectionRate) {
      failures.push(`detection rate ${evaluation.tpr.toFixed(3)} < ${gate.minDetectionRate}`);
    }
    if (evaluation.fpr > gate.maxFalsePositiveRate) {
      failures.push(`false positive rate ${evaluation.fpr.toFixed(3)} > ${gate.maxFalsePositiveRate}`);
    }
    if (failures.length) {
      return {
        valid: false,
        reason: Reason.ValidationFailed,
        message: `dataset gate failed on ${evaluation.n} rows: ${failures.join(', ')}`,
        evaluation,
      };
    }
    return {
      valid: true,
      policy,
      evaluation,
      message: `policy hash ${policy.hash} is valid; dataset gate passed on ${evaluation.n} rows (TPR ${evaluation.tpr.toFixed(3)}, FPR ${evaluation.fpr.toFixed(3)})`,
    };
  }

  return {
    async validate(raw) {
      // The dataset is part of the verdict through its version: a changed dataset is evaluated again.
      const ref = datasetRefOf(raw);
      const version = ref && opts.datasetVersion?.(raw.metadata.namespace ?? '', ref.name, ref.key);
      const id = `${raw.metadata.uid ?? ''}:${shortHash(canonicalJson(raw.spec), 64)}:${version ?? ''}`;
      // The promise is cached, so the reconciles of 100 LlmDeployments sharing a policy that changed
      // wait for one validation instead of starting 100.
      const hit = cache.get(id);
      if (hit) return hit;
      const verdict = evaluate(raw);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(id, verdict);
      // A check that threw (not a verdict) is not remembered: the next reconcile tries again.
      verdict.catch(() => cache.delete(id));
      return verdict;
    },
  };
}
