import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DatasetError,
  evaluatePolicy,
  type Figures,
  parseDataset,
  type Row,
} from '../../shared/eval/index.ts';
import { ClassifierSet } from '../../shared/pipeline/classifiers.ts';
import {
  type CompiledPolicyDetails,
  type CompileOptions,
  compilePolicy,
  PolicyCompileError,
  policyWantsClassifier,
  withoutClassifier,
} from '../../shared/pipeline/index.ts';
import { type LoadedPolicy, PolicyError, parsePolicyManifest } from '../../shared/policy/index.ts';
import { type Command, UsageError } from '../command.ts';

export const DEFAULT_POLICY = new URL('../../policies/default.yaml', import.meta.url);

export function readPolicy(file: string | undefined): LoadedPolicy {
  const path = file ?? DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read policy ${String(path)}: ${(err as Error).message}`);
  }
  return parsePolicyManifest(text);
}

export type ClassifierMode = 'auto' | 'off';

export interface Prepared {
  compiled: CompiledPolicyDetails;
  /** Human-readable notes: which model was loaded, or why the figures are heuristics-only. */
  notes: string[];
  /** Releases the loaded classifiers. */
  close(): Promise<void>;
}

/**
 * Compiles the policy as the guard would, loading the classifiers it asks for (each entry its own model).
 * With mode off, or when a model cannot be loaded, the classifier is switched off in the spec and a note
 * says so: evaluation figures then describe the heuristics alone, never silently.
 */
export async function preparePolicy(
  loaded: LoadedPolicy,
  mode: ClassifierMode,
  options: CompileOptions = {},
  set: ClassifierSet = new ClassifierSet(),
): Promise<Prepared> {
  const notes: string[] = [];
  const close = () => set.close();
  const heuristicsOnly = (): Prepared => ({
    compiled: compilePolicy({ ...loaded, spec: withoutClassifier(loaded.spec) }, {}, options),
    notes,
    close,
  });
  if (!policyWantsClassifier(loaded.spec))
    return { compiled: compilePolicy(loaded, {}, options), notes, close };
  if (mode === 'off') {
    notes.push('classifier off (--classifier off): heuristics only');
    return heuristicsOnly();
  }
  const { classifiers, errors } = await set.prepare(loaded.spec);
  if (errors.size > 0) {
    for (const why of new Set(errors.values())) notes.push(`classifier unavailable (${why})`);
    notes.push('heuristics only');
    await set.close();
    return heuristicsOnly();
  }
  for (const c of classifiers.values()) notes.push(`classifier ${c.name}`);
  return { compiled: compilePolicy(loaded, { classifiers }, options), notes, close };
}

/** The figures the model card reports for the default policy on one split (validation unless named), without the latency. */
export async function defaultPolicyFigures(
  datasetJsonl: string,
  split = 'validation',
): Promise<Omit<Figures, 'latencyMs'>> {
  const prepared = await preparePolicy(readPolicy(undefined), 'auto');
  try {
    if (prepared.notes.some((n) => n.startsWith('classifier unavailable')))
      throw new Error(`default policy without its classifier: ${prepared.notes.join('; ')}`);
    const rows = parseDataset(datasetJsonl, { split });
    const { latencyMs: _machineDependent, ...figures } = await evaluatePolicy(prepared.compiled, rows);
    return figures;
  } finally {
    await prepared.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatFigures(f: Figures): string {
  const lines = [
    `rows ${f.n}   TPR ${pct(f.tpr)}   FPR ${pct(f.fpr)}   precision ${pct(f.precision)}   F1 ${f.f1.toFixed(3)}`,
    `latency per row: p50 ${f.latencyMs.p50.toFixed(2)} ms, p99 ${f.latencyMs.p99.toFixed(2)} ms`,
    '',
    'by label:',
  ];
  for (const [label, c] of Object.entries(f.byLabel)) {
    const what = label === 'benign' ? 'false positives' : 'detected';
    lines.push(
      `  ${label.padEnd(10)} ${String(c.blocked).padStart(5)} / ${String(c.n).padEnd(5)} ${what} ${pct(c.rate)}`,
    );
  }
  lines.push('', 'by source:');
  for (const [source, cells] of Object.entries(f.bySource).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parts = Object.entries(cells).map(([label, c]) => `${label} ${c.blocked}/${c.n} (${pct(c.rate)})`);
    lines.push(`  ${source}`, `      ${parts.join('   ')}`);
  }
  return lines.join('\n');
}

const command: Command = {
  summary: 'Evaluate the input scanners on a labeled JSONL dataset.',
  usage: `Usage: bulwark eval --dataset FILE.jsonl [--policy FILE] [--split NAME] [--json]

Runs the policy's full input scanner chain over every row (label injection or jailbreak = malicious,
benign = benign) and prints the detection rate (TPR), false-positive rate, precision, F1, per-label and
per-source breakdowns and p50/p99 scan latency. The policy's classifier is loaded when it enables one and
a model is available; otherwise the figures are heuristics-only and say so.

Flags:
  --policy FILE          GuardrailPolicy manifest (default: policies/default.yaml)
  --dataset FILE         labeled JSONL: {"text": ..., "label": "injection|jailbreak|benign", "source"?, "split"?}
  --split NAME           only rows whose split is NAME (e.g. validation)
  --json                 print one JSON object: n, tpr, fpr, precision, f1, byLabel, bySource, latencyMs
  --classifier auto|off  off: evaluate the heuristics alone (default auto)
  --show N               also print up to N missed attacks and N false positives (first 160 characters)
  --min-tpr X            exit 1 when TPR < X (0..1)
  --max-fpr X            exit 1 when FPR > X (0..1)`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        policy: { type: 'string' },
        dataset: { type: 'string' },
        split: { type: 'string' },
        json: { type: 'boolean' },
        classifier: { type: 'string', default: 'auto' },
        show: { type: 'string' },
        'min-tpr': { type: 'string' },
        'max-fpr': { type: 'string' },
      },
      allowPositionals: false,
    });
    if (!values.dataset) throw new UsageError('--dataset FILE is required');
    if (values.classifier !== 'auto' && values.classifier !== 'off') {
      throw new UsageError('--classifier must be auto or off');
    }
    const fraction = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!(x >= 0 && x <= 1)) throw new UsageError(`--${name} must be a number in 0..1`);
      return x;
    };
    const minTpr = fraction('min-tpr', values['min-tpr']);
    const maxFpr = fraction('max-fpr', values['max-fpr']);
    const show = values.show === undefined ? 0 : Number(values.show);

    let rows: Row[];
    let prepared: Prepared;
    try {
      rows = parseDataset(readFileSync(values.dataset, 'utf8'), values.split ? { split: values.split } : {});
      prepared = await preparePolicy(readPolicy(values.policy), values.classifier);
    } catch (err) {
      if (err instanceof DatasetError || err instanceof PolicyError || err instanceof PolicyCompileError) {
        console.error(`bulwark eval: ${err.message}`);
        return 1;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UsageError(`cannot read ${values.dataset}: ${(err as Error).message}`);
      }
      throw err;
    }
    if (rows.length === 0)
      throw new UsageError(
        `no rows${values.split ? ` with split ${values.split}` : ''} in ${values.dataset}`,
      );
    const misses: Row[] = [];
    const falsePositives: Row[] = [];
    try {
      const figures = await evaluatePolicy(prepared.compiled, rows, {
        onResult(row, blocked) {
          if (row.label === 'benign' ? blocked : !blocked)
            (row.label === 'benign' ? falsePositives : misses).push(row);
        },
      });
      for (const note of prepared.notes) console.error(`bulwark eval: ${note}`);
      if (values.json) console.log(JSON.stringify(figures));
      else console.log(formatFigures(figures));
      if (show > 0) {
        const clip = (r: Row) => `  [${r.label} ${r.source ?? ''}] ${JSON.stringify(r.text.slice(0, 160))}`;
        console.error(`\nmissed attacks (${misses.length}):\n${misses.slice(0, show).map(clip).join('\n')}`);
        console.error(
          `\nfalse positives (${falsePositives.length}):\n${falsePositives.slice(0, show).map(clip).join('\n')}`,
        );
      }
      const failed =
        (minTpr !== undefined && figures.tpr < minTpr) || (maxFpr !== undefined && figures.fpr > maxFpr);
      return failed ? 1 : 0;
    } finally {
      await prepared.close();
    }
  },
};

export default command;
