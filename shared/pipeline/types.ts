import type { GuardrailPolicySpec } from '../../api/v1alpha1/index.ts';
import type { Direction, RequestState } from '../../sidecar/scanners/types.ts';

export type Action = 'block' | 'redact' | 'anonymize' | 'flag';

/** The per-request analysis record (in spirit LLM Guard's results_score + Elastic's detection document). */
export interface AnalysisRecord {
  direction: Direction;
  /** Highest score per scanner type over every text scanned in this direction. */
  scores: Record<string, number>;
  /** True when any scanner with action block fired (or failed closed). */
  malicious: boolean;
  /** Scanner types that fired, in policy order. */
  identifiedThreats: string[];
  /** The action taken per fired scanner. */
  actions: Record<string, Action>;
  /** Scanner types that threw; failMode decided what that meant. */
  errors: string[];
  latencyMs: number;
  /**
   * Time spent in each scanner type, summed over every text (and window) it scanned, in ms. Optional
   * for records made outside the pipeline (a pipeline failure, test policies).
   */
  scannerLatencyMs?: Record<string, number>;
  /**
   * Where each scanner that fired on input fired, by the request's parameter names (`messages[0].content`;
   * `request` for a scanner of the whole request, tokenLimit). Set by the guard, which knows the request.
   */
  firedIn?: Record<string, string[]>;
  /**
   * Input texts that block and flag scanners did not judge, as the policy's `conversation` exempts them
   * (replies this guard returned, trusted system prompts), by parameter name. Set by the guard; absent
   * when every text was judged.
   */
  unjudgedIn?: string[];
  /**
   * Input texts judged only after their trusted beginning (conversation.trustedInstructionPrefixes), by
   * parameter name. Set by the guard; absent when no such text was in the request.
   */
  trustedPrefixIn?: string[];
}

export interface InputScanOutcome {
  /** The texts to forward, same order and length as given; rewritten where redact/anonymize fired. */
  texts: string[];
  blocked: boolean;
  analysis: AnalysisRecord;
  /** Indexes of the texts each scanner type fired on (-1: the whole request), for the caller to name. */
  firedAt?: Readonly<Record<string, readonly number[]>>;
}

/** Incremental output scanning for streamed completions. */
export interface OutputStream {
  /** Feed the next delta; returns text now safe to release (possibly redacted) or a block. */
  push(delta: string): Promise<{ release: string; blocked: boolean }>;
  /** No more deltas: scan and release what was held back. */
  end(): Promise<{ release: string; blocked: boolean; analysis: AnalysisRecord }>;
}

/** A policy compiled into runnable scanners; swapped atomically when the policy file changes. */
export interface CompiledPolicy {
  readonly name: string;
  readonly hash: string;
  readonly spec: GuardrailPolicySpec;
  newRequestState(requestId: string): RequestState;
  /**
   * Scans every text the model will read (all messages, parts, tool results) as one request. Block and
   * flag entries judge each text from its offset in `judgedFrom` on (what the policy's `conversation`
   * exempts comes first: a text's length exempts all of it, a trusted prefix's end the beginning); redact
   * and anonymize entries still rewrite whole texts and request-wide entries still count them.
   */
  scanInput(texts: string[], state: RequestState, judgedFrom?: readonly number[]): Promise<InputScanOutcome>;
  /** Scans a complete (non-streamed) output text. */
  scanOutput(
    text: string,
    state: RequestState,
  ): Promise<{ text: string; blocked: boolean; analysis: AnalysisRecord }>;
  /** Starts incremental scanning of one streamed output (one choice). */
  outputStream(state: RequestState): OutputStream;
}
