import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TextClassifier } from '../../shared/classifier/types.ts';
import {
  DatasetError,
  evaluatePolicy,
  type Figures,
  parseDataset,
  type Row,
} from '../../shared/eval/index.ts';
import {
  type CompiledPolicyDetails,
  type CompileOptions,
  classifierModelPaths,
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

interface ClassifierModule {
  loadClassifier(options: { modelDir: string }): Promise<TextClassifier>;
  DEFAULT_MODEL_DIR: string;
}

/**
 * Loads shared/classifier when present. Imported by computed path so that this command works (and
 * type-checks) in builds where the classifier module is absent; the extension follows this module's
 * own, so it resolves both under tsx (.ts) and in the compiled dist/ (.js).
 */
async function classifierModule(): Promise<ClassifierModule | undefined> {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const url = new URL(`../../shared/classifier/index.${ext}`, import.meta.url);
  if (!existsSync(url)) return undefined;
  return (await import(url.href)) as ClassifierModule;
}

export type ClassifierMode = 'auto' | 'off';

export interface Prepared {
  compiled: CompiledPolicyDetails;
  classifier?: TextClassifier;
  /** Human-readable notes: which model was loaded, or why the figures are heuristics-only. */
  notes: string[];
}

/**
 * Compiles the policy as the guard would, loading the classifier it asks for. With mode off, or when no
 * classifier can be loaded, the classifier is switched off in the spec and a note says so: evaluation
 * figures then describe the heuristics alone, never silently.
 */
export async function preparePolicy(
  loaded: LoadedPolicy,
  mode: ClassifierMode,
  options: CompileOptions = {},
): Promise<Prepared> {
  const notes: string[] = [];
  if (!policyWantsClassifier(loaded.spec)) return { compiled: compilePolicy(loaded, {}, options), notes };
  if (mode === 'off') {
    notes.push('classifier off (--classifier off): heuristics only');
    return {
      compiled: compilePolicy({ ...loaded, spec: withoutClassifier(loaded.spec) }, {}, options),
      notes,
    };
  }
  const module = await classifierModule();
  const paths = classifierModelPaths(loaded.spec);
  const modelDir = paths.find((p) => p !== undefined) ?? module?.DEFAULT_MODEL_DIR;
  if (paths.length > 1) notes.push(`entries name different models; evaluating all with ${modelDir}`);
  if (!module || !modelDir || !existsSync(modelDir)) {
    notes.push(
      `classifier unavailable (${module ? `no model at ${modelDir}` : 'shared/classifier not built'}): heuristics only`,
    );
    return {
      compiled: compilePolicy({ ...loaded, spec: withoutClassifier(loaded.spec) }, {}, options),
      notes,
    };
  }
  const classifier = await module.loadClassifier({ modelDir });
  notes.push(`classifier ${classifier.name} from ${modelDir}`);
  return { compiled: compilePolicy(loaded, { classifier }, options), classifier, notes };
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
      await prepared.classifier?.close();
    }
  },
};

export default command;
