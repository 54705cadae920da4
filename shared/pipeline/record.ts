import type { ScannerEntry } from '../../api/v1alpha1/index.ts';
import type { Direction, Finding, ScanContext, Scanner, ScanResult } from '../../sidecar/scanners/types.ts';
import type { Action, AnalysisRecord } from './types.ts';

/** One policy entry, ready to run. */
export interface CompiledEntry {
  /** Position in the policy, e.g. `input[2]`, for error messages. */
  where: string;
  entry: ScannerEntry;
  scanner: Scanner;
  action: Action;
  threshold: number;
  failMode: 'open' | 'closed';
}

/** Outcome of one scan under the entry's failMode. */
export type EntryOutcome =
  | { kind: 'ok'; result: ScanResult; fired: boolean }
  | { kind: 'error'; error: unknown; blocks: boolean };

/** Runs one scan; when a recorder is given, the time it took is added to the scanner's latency. */
export async function runEntry(
  e: CompiledEntry,
  text: string,
  ctx: ScanContext,
  recorder?: Recorder,
): Promise<EntryOutcome> {
  const started = recorder ? performance.now() : 0;
  try {
    return scored(e, await e.scanner.scan(text, ctx));
  } catch (error) {
    return { kind: 'error', error, blocks: e.failMode === 'closed' };
  } finally {
    recorder?.time(e.scanner.type, performance.now() - started);
  }
}

function scored(e: CompiledEntry, raw: ScanResult): EntryOutcome {
  const score = clampScore(raw.score);
  return { kind: 'ok', result: { score, findings: raw.findings }, fired: score >= e.threshold };
}

/** A scanner's score as the pipeline uses it: 0..1, and certain (1) when it is not a finite number. */
export function clampScore(score: number): number {
  return Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 1;
}

/** Applies the entry's rewrite (redact, anonymize, or deanonymize's restore) to the findings. */
export function rewrite(e: CompiledEntry, text: string, findings: Finding[], ctx: ScanContext): string {
  if (findings.length === 0 || (e.action !== 'redact' && e.action !== 'anonymize')) return text;
  if (e.scanner.rewrite) return e.scanner.rewrite(text, findings, ctx, e.action);
  return defaultRewrite(text, findings);
}

function defaultRewrite(text: string, findings: Finding[]): string {
  const sorted = [...findings].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const f of sorted) {
    if (f.start < at) continue;
    out += `${text.slice(at, f.start)}[REDACTED:${f.kind}]`;
    at = f.end;
  }
  return out + text.slice(at);
}

const STRENGTH: Record<Action, number> = { flag: 0, redact: 1, anonymize: 1, block: 2 };

/** Accumulates the analysis record of one direction of one request. */
export class Recorder {
  readonly record: AnalysisRecord;
  private readonly started = performance.now();
  /** Indexes of the texts each scanner type fired on; -1 for a scan of the whole request. */
  readonly firedAt: Record<string, number[]> = {};

  constructor(direction: Direction) {
    this.record = {
      direction,
      scores: {},
      malicious: false,
      identifiedThreats: [],
      actions: {},
      errors: [],
      latencyMs: 0,
      scannerLatencyMs: {},
    };
  }

  /** Adds ms spent in a scanner of this type. */
  time(type: string, ms: number): void {
    const latency = this.record.scannerLatencyMs!;
    latency[type] = (latency[type] ?? 0) + ms;
  }

  score(type: string, score: number): void {
    this.record.scores[type] = Math.max(this.record.scores[type] ?? 0, score);
  }

  fired(e: CompiledEntry, textIndex = -1): void {
    const type = e.scanner.type;
    const at = this.firedAt[type];
    if (!at) this.firedAt[type] = [textIndex];
    else if (!at.includes(textIndex)) at.push(textIndex);
    if (!this.record.identifiedThreats.includes(type)) this.record.identifiedThreats.push(type);
    const previous = this.record.actions[type];
    if (!previous || STRENGTH[e.action] > STRENGTH[previous]) this.record.actions[type] = e.action;
    if (e.action === 'block') this.record.malicious = true;
  }

  /** A scanner threw: closed counts as a block (the record is malicious), open lets the text through. */
  error(e: CompiledEntry, blocks: boolean): void {
    const type = e.scanner.type;
    if (!this.record.errors.includes(type)) this.record.errors.push(type);
    if (blocks) {
      this.record.malicious = true;
      this.record.actions[type] = 'block';
    }
  }

  /** Records an outcome; returns true when it blocks. */
  outcome(e: CompiledEntry, o: EntryOutcome): boolean {
    if (o.kind === 'error') {
      this.error(e, o.blocks);
      return o.blocks;
    }
    this.score(e.scanner.type, o.result.score);
    if (!o.fired) return false;
    this.fired(e);
    return e.action === 'block';
  }

  finish(): AnalysisRecord {
    this.record.latencyMs = toMicros(performance.now() - this.started);
    const latency = this.record.scannerLatencyMs!;
    for (const type in latency) latency[type] = toMicros(latency[type]!);
    return this.record;
  }
}

/** Milliseconds rounded to whole microseconds. */
const toMicros = (ms: number) => Math.round(ms * 1000) / 1000;
