// The policy checks that need the scanner pipeline: compiling the policy as the guard will, and the
// dataset gate (spec.validation: evaluate the input chain on labelled prompts before any pod sees the
// policy). They run in a short-lived worker thread: the pipeline's modules and tables (tokenizers,
// language profiles, classifiers) cost ~80 MiB, which the operator should not keep for checks it runs
// once per policy change. Verdicts are cached by the validator (policy.ts).
import type { EvaluationFigures, GuardrailPolicySpec } from '../../api/v1alpha1/index.ts';
import { siblingModule, startModuleWorker } from '../../shared/module-worker.ts';
import { shortHash } from '../desired/meta.ts';
import type { DatasetGate, PolicyCompiler } from './policy.ts';

/**
 * Compiles the policy with shared/pipeline (scanner parameters, actions per scanner, output-only
 * scanners...). The classifier is switched off for this check: whether its model is present is the
 * guard's to decide when it loads the policy, and the operator does not ship models.
 */
export async function compileInProcess(spec: GuardrailPolicySpec): Promise<void> {
  const { compilePolicy, withoutClassifier } = await import('../../shared/pipeline/index.ts');
  compilePolicy({ name: 'validation', hash: 'validation', spec: withoutClassifier(spec) });
}

/**
 * Evaluates the policy's input chain on the dataset, with the classifiers it asks for. If a classifier
 * cannot be loaded the gate fails (closed) rather than judging the policy on heuristics alone, whose
 * figures would not be the guard's: a policy that cannot be validated does not replace the running one.
 */
export async function gateInProcess(spec: GuardrailPolicySpec, jsonl: string): Promise<EvaluationFigures> {
  const [{ evaluatePolicy, parseDataset }, pipeline, { ClassifierSet }] = await Promise.all([
    import('../../shared/eval/index.ts'),
    import('../../shared/pipeline/index.ts'),
    import('../../shared/pipeline/classifiers.ts'),
  ]);
  const rows = parseDataset(jsonl);
  if (rows.length === 0) throw new Error('the dataset has no rows');
  const set = new ClassifierSet();
  try {
    let deps = {};
    if (pipeline.policyWantsClassifier(spec)) {
      const { classifiers, errors } = await set.prepare(spec);
      if (errors.size > 0) {
        throw new Error(
          `the classifier the policy asks for is not available to the operator (${[...new Set(errors.values())].join('; ')})`,
        );
      }
      deps = { classifiers };
    }
    const compiled = pipeline.compilePolicy({ name: 'validation', hash: 'validation', spec }, deps, {
      failFast: true,
    });
    const figures = await evaluatePolicy(compiled, rows);
    return {
      n: figures.n,
      tpr: figures.tpr,
      fpr: figures.fpr,
      precision: figures.precision,
      f1: figures.f1,
      evaluatedAt: `${new Date().toISOString().slice(0, 19)}Z`,
      datasetHash: shortHash(jsonl, 16),
    } satisfies EvaluationFigures;
  } finally {
    await set.close();
  }
}

type Task = { kind: 'compile' | 'gate'; spec: GuardrailPolicySpec; dataset?: string };

/** One check at a time: each worker loads the whole pipeline, and policies change rarely. */
let queue: Promise<unknown> = Promise.resolve();

function inWorker<T>(task: Task): Promise<T> {
  const run = queue.then(() => startWorker<T>(task));
  queue = run.catch(() => {});
  return run;
}

function startWorker<T>(task: Task): Promise<T> {
  const worker = startModuleWorker(siblingModule(import.meta.url, 'gate-worker'), task);
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (m: { ok: boolean; value?: T; error?: string }) =>
      m.ok ? resolve(m.value as T) : reject(new Error(m.error)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the policy check worker exited with code ${code}`));
    });
  });
}

export const compileCheck: PolicyCompiler = (spec) => inWorker<void>({ kind: 'compile', spec });

export const datasetGate: DatasetGate = (spec, jsonl) =>
  inWorker<EvaluationFigures>({ kind: 'gate', spec, dataset: jsonl });
