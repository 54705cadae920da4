/**
 * Sliding windows and batching: pure functions from token ids to the int64 tensors a sequence classifier
 * takes. Long texts become several windows; the caller keeps the max score per text.
 */

export interface SpecialTokens {
  /** Ids the tokenizer's post-processor puts before the text (e.g. [CLS], <s>). */
  prefix: number[];
  /** Ids it puts after the text (e.g. [SEP], </s>). */
  suffix: number[];
}

export interface WindowPlan {
  /** Max tokens per window, special tokens included (the model's max_length). */
  maxLength: number;
  /** Tokens between the starts of consecutive windows, counted in text tokens. */
  stride: number;
  special: SpecialTokens;
  /**
   * At most this many windows per text, evenly spaced from the first to the last (window k of n kept is
   * floor(k·(n−1)/(max−1))): bounds the cost of a heavy model on long texts. Default: every window.
   */
  maxWindows?: number;
}

export interface Window {
  /** Index of the text this window belongs to. */
  text: number;
  ids: number[];
}

/**
 * Finds the special tokens a post-processor adds by encoding a probe with and without them and locating the
 * plain ids inside the decorated ones. Works for BERT/RoBERTa/DeBERTa-style templates; a tokenizer
 * without a post-processor gives empty lists.
 */
export function detectSpecialTokens(withSpecial: readonly number[], plain: readonly number[]): SpecialTokens {
  if (plain.length === 0) return { prefix: [...withSpecial], suffix: [] };
  for (let at = 0; at + plain.length <= withSpecial.length; at++) {
    if (plain.every((id, k) => withSpecial[at + k] === id)) {
      return { prefix: withSpecial.slice(0, at), suffix: withSpecial.slice(at + plain.length) };
    }
  }
  return { prefix: [], suffix: [] };
}

/** Text tokens that fit in one window next to the special tokens. */
export function contentLength(plan: Pick<WindowPlan, 'maxLength' | 'special'>): number {
  return plan.maxLength - plan.special.prefix.length - plan.special.suffix.length;
}

/**
 * Splits each text's ids into windows of at most contentLength(plan) text tokens starting every
 * plan.stride tokens, until the end of the text is covered; each window is wrapped in the special tokens.
 * An empty text still yields one (empty) window so that every text gets a score.
 */
export function makeWindows(texts: readonly (readonly number[])[], plan: WindowPlan): Window[] {
  const room = contentLength(plan);
  if (room < 1) throw new Error(`maxLength ${plan.maxLength} leaves no room next to the special tokens`);
  if (!Number.isInteger(plan.stride) || plan.stride < 1 || plan.stride > room) {
    throw new Error(
      `stride must be an integer between 1 and ${room} (the window's text tokens), got ${plan.stride}`,
    );
  }
  const max = plan.maxWindows;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new Error(`maxWindows must be a positive integer, got ${max}`);
  }
  const out: Window[] = [];
  texts.forEach((ids, text) => {
    const starts: number[] = [];
    for (let start = 0; ; start += plan.stride) {
      starts.push(start);
      if (start + room >= ids.length) break;
    }
    for (const start of spread(starts, max)) {
      out.push({
        text,
        ids: [...plan.special.prefix, ...ids.slice(start, start + room), ...plan.special.suffix],
      });
    }
  });
  return out;
}

/** At most `max` items, evenly spaced, first and last included; the training pipeline picks the same ones. */
function spread<T>(items: readonly T[], max: number | undefined): readonly T[] {
  const n = items.length;
  if (max === undefined || n <= max) return items;
  if (max === 1) return items.slice(0, 1);
  return Array.from({ length: max }, (_, k) => items[Math.floor((k * (n - 1)) / (max - 1))] as T);
}

export interface Batch {
  /** Which text each row belongs to. */
  texts: number[];
  rows: number;
  cols: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
}

/** Right-padded row-major int64 batches of at most `size` windows, each padded to its longest window. */
export function makeBatches(windows: readonly Window[], size: number, padId: number): Batch[] {
  const out: Batch[] = [];
  for (let b = 0; b < windows.length; b += size) {
    const part = windows.slice(b, b + size);
    const cols = Math.max(1, ...part.map((w) => w.ids.length));
    const inputIds = new BigInt64Array(part.length * cols).fill(BigInt(padId));
    const attentionMask = new BigInt64Array(part.length * cols);
    part.forEach((w, r) => {
      w.ids.forEach((id, c) => {
        inputIds[r * cols + c] = BigInt(id);
        attentionMask[r * cols + c] = 1n;
      });
    });
    out.push({ texts: part.map((w) => w.text), rows: part.length, cols, inputIds, attentionMask });
  }
  return out;
}
