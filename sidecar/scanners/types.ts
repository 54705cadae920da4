import type { ScannerEntry, ScannerType } from '../../api/v1alpha1/index.ts';

export type Direction = 'input' | 'output';

/** A span of the scanned text a scanner objects to; redact/anonymize rewrite exactly these spans. */
export interface Finding {
  start: number;
  end: number;
  /** What was found, e.g. EMAIL, aws-access-key, banned:project nightingale. Never the matched text itself. */
  kind: string;
}

export interface ScanResult {
  /** 0 = clean, 1 = certain; the entry's threshold decides whether the scanner fires. */
  score: number;
  findings: Finding[];
}

/**
 * Per-request memory shared by the scanners of one request: the anonymize vault (placeholder → original)
 * that deanonymize reads on the way back, and the canary token. Lives only as long as the request.
 */
export interface RequestState {
  readonly requestId: string;
  readonly vault: Map<string, string>;
  canary?: string;
  /** The request's response_format, for the jsonSchema output scanner. */
  responseFormat?: unknown;
}

export interface ScanContext {
  direction: Direction;
  state: RequestState;
}

/** The one interface every scanner implements. Pure: no I/O, no logging, no clocks. */
export interface Scanner {
  readonly type: ScannerType;
  scan(text: string, ctx: ScanContext): ScanResult | Promise<ScanResult>;
  /**
   * Rewrites the text for action redact/anonymize/deanonymize. Default (when absent): each finding is
   * replaced by `[REDACTED:<kind>]`. pii's anonymize stores originals in ctx.state.vault.
   */
  rewrite?(text: string, findings: Finding[], ctx: ScanContext, action: 'redact' | 'anonymize'): string;
  /** Longest text a single finding can span; the streaming output path holds back at least this much. */
  readonly maxFindingLength?: number;
  /**
   * What one scan sees. `text` (default): each text alone, and a streamed output window by window.
   * `request`: input only, all texts of the request joined by newlines, once (tokenLimit: the limit is on
   * what the model reads in total). `complete`: only a complete text; a streamed output is held back
   * until it ends (jsonSchema: validity is a property of the whole response).
   */
  readonly scope?: 'text' | 'request' | 'complete';
}

/** Long-lived helpers a scanner may need, created once at start-up by the program that hosts scanners. */
export interface ScannerDeps {
  /** ONNX text classifier (shared/classifier); absent when the policy disables it or none is loaded. */
  classifier?: import('../../shared/classifier/types.ts').TextClassifier;
  /**
   * Loaded classifiers by `classifierKey(params.classifier)`, one per distinct model an entry asks for
   * (bring-your-own modelPath, maliciousLabels, window). When given, each entry takes its own from here
   * and `classifier` is ignored.
   */
  classifiers?: ReadonlyMap<string, import('../../shared/classifier/types.ts').TextClassifier>;
}

export type ScannerFactory = (entry: ScannerEntry, deps: ScannerDeps) => Scanner;
