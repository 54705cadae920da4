/**
 * Dataset evaluation of a policy's input scanners: `bulwark eval` and the operator's validation gate.
 *
 * It depends only on the shape of a compiled policy (structural type below), not on the sidecar, so the
 * operator can use it without importing a program. Pure apart from the clock: the same policy and rows
 * give the same counts and rates; only latencyMs varies.
 */

export const LABELS = ['injection', 'jailbreak', 'benign'] as const;
export type Label = (typeof LABELS)[number];

/** One labelled prompt, as in the shared datasets and a policy's validation ConfigMap. */
export interface Row {
  text: string;
  label: Label;
  source?: string;
  split?: string;
}

/** What evaluation needs of a compiled policy (shared/pipeline's CompiledPolicy satisfies it). */
export interface InputScanning {
  newRequestState(requestId: string): { readonly requestId: string; readonly vault: Map<string, string> };
  scanInput(texts: string[], state: never): Promise<{ blocked: boolean }>;
}

export interface Cell {
  n: number;
  blocked: number;
  /** blocked / n: the detection rate for malicious labels, the false-positive rate for benign. */
  rate: number;
}

export interface Figures {
  n: number;
  /** Detection rate: blocked malicious rows / malicious rows. */
  tpr: number;
  /** False-positive rate: blocked benign rows / benign rows. */
  fpr: number;
  precision: number;
  f1: number;
  byLabel: Partial<Record<Label, Cell>>;
  bySource: Record<string, Partial<Record<Label, Cell>>>;
  /** Scan latency per row (the whole input chain), nearest-rank percentiles. */
  latencyMs: { p50: number; p99: number };
}

export const isMalicious = (label: Label): boolean => label !== 'benign';

export class DatasetError extends Error {}

/** Parses labelled JSONL: one object per line with at least text and label; blank lines are skipped. */
export function parseDataset(jsonl: string, options: { split?: string } = {}): Row[] {
  const rows: Row[] = [];
  const lines = jsonl.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(`line ${i + 1}: not JSON: ${(err as Error).message}`);
    }
    const r = value as Partial<Row>;
    if (typeof r !== 'object' || r === null || typeof r.text !== 'string') {
      throw new DatasetError(`line ${i + 1}: expected an object with a string "text"`);
    }
    if (!LABELS.includes(r.label as Label)) {
      throw new DatasetError(
        `line ${i + 1}: label must be one of ${LABELS.join(', ')} (got ${JSON.stringify(r.label)})`,
      );
    }
    if (options.split !== undefined && r.split !== options.split) continue;
    rows.push({
      text: r.text,
      label: r.label as Label,
      ...(typeof r.source === 'string' ? { source: r.source } : {}),
      ...(typeof r.split === 'string' ? { split: r.split } : {}),
    });
  }
  return rows;
}

/** Nearest-rank percentile (https://en.wikipedia.org/wiki/Percentile#The_nearest-rank_method). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function bump(cells: Partial<Record<Label, Cell>>, label: Label, blocked: boolean): void {
  const cell = cells[label] ?? { n: 0, blocked: 0, rate: 0 };
  cell.n++;
  if (blocked) cell.blocked++;
  cell.rate = cell.blocked / cell.n;
  cells[label] = cell;
}

export interface EvaluateOptions {
  /** Called after each row, e.g. for a progress line. */
  onRow?: (done: number, total: number) => void;
  /** Rows that are blocked are passed here with their label (for listing misses and false positives). */
  onResult?: (row: Row, blocked: boolean) => void;
}

/**
 * Runs the policy's full input chain over every row (each row is one request with one text) and
 * computes detection figures: injection and jailbreak count as malicious, benign as benign.
 */
export async function evaluatePolicy(
  policy: InputScanning,
  rows: readonly Row[],
  options: EvaluateOptions = {},
): Promise<Figures> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const byLabel: Partial<Record<Label, Cell>> = {};
  const bySource: Record<string, Partial<Record<Label, Cell>>> = {};
  const latencies: number[] = [];
  for (const [i, row] of rows.entries()) {
    const state = policy.newRequestState(`eval-${i}`);
    const started = performance.now();
    const { blocked } = await policy.scanInput([row.text], state as never);
    latencies.push(performance.now() - started);
    if (isMalicious(row.label)) {
      if (blocked) tp++;
      else fn++;
    } else if (blocked) fp++;
    else tn++;
    bump(byLabel, row.label, blocked);
    const source = row.source ?? '(none)';
    bySource[source] ??= {};
    bump(bySource[source], row.label, blocked);
    options.onResult?.(row, blocked);
    options.onRow?.(i + 1, rows.length);
  }
  const tpr = ratio(tp, tp + fn);
  const precision = ratio(tp, tp + fp);
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    n: rows.length,
    tpr,
    fpr: ratio(fp, fp + tn),
    precision,
    f1: ratio(2 * precision * tpr, precision + tpr),
    byLabel,
    bySource,
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
  };
}
