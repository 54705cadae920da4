import { createRequire } from 'node:module';
import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { Scanner } from '../types.ts';

export type TokenEncoding = 'o200k_base' | 'cl100k_base';

interface Tokenizer {
  /** false when over the limit (encoding stops there), else the token count. */
  isWithinTokenLimit(text: string, limit: number): number | false;
  countTokens(text: string): number;
}

// gpt-tokenizer ships one module per encoding (each several MB of ranks); require loads only the one a
// policy names, synchronously, when its scanner is built rather than on the first request.
const require = createRequire(import.meta.url);
const loaded = new Map<TokenEncoding, Tokenizer>();
function tokenizer(encoding: TokenEncoding): Tokenizer {
  let t = loaded.get(encoding);
  if (!t) {
    t = require(`gpt-tokenizer/cjs/encoding/${encoding}`) as Tokenizer;
    loaded.set(encoding, t);
  }
  return t;
}

export interface TokenLimitOptions {
  maxTokens: number;
  /** BPE of the served model family: o200k_base (GPT-4o and later, default) or cl100k_base (GPT-4/3.5). */
  encoding?: TokenEncoding | undefined;
}

/** Counts the tokens of the whole request (every message), since the limit is on what the model reads. */
export function countTokens(text: string, encoding: TokenEncoding = 'o200k_base'): number {
  const t = tokenizer(encoding);
  let count = 0;
  for (const piece of countingPieces(text)) count += t.countTokens(piece);
  return count;
}

/**
 * The text in pieces to count one by one: cut before a whitespace character about every `size` characters,
 * and inside a run of whitespace or of anything else every `longest`. BPE takes time quadratic in the
 * longest piece its pre-tokenizer leaves whole: 64 KB of one letter took 7.7 s, of '’' 71 s, 16 KB of
 * spaces 1.6 s. Cut so, a run of n characters counts at most about n / longest tokens more than whole
 * (merges across a cut are lost); text whose runs are shorter is cut only where a word starts. Lazy: the
 * limit check stops cutting where it stops counting.
 */
export function* countingPieces(text: string, size = 4096, longest = 256): Generator<string> {
  let start = 0;
  // Where the current run of whitespace, or of anything else, began.
  let runStart = 0;
  for (let i = 1; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    const wordStart = space && !isSpace(text.charCodeAt(i - 1));
    if (space !== isSpace(text.charCodeAt(i - 1))) runStart = i;
    if ((wordStart && i - start >= size) || i - runStart >= longest) {
      yield text.slice(start, i);
      start = i;
      runStart = i;
    }
  }
  if (start < text.length) yield text.slice(start);
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x3000;
}

export function tokenLimit(options: TokenLimitOptions): Scanner {
  const { maxTokens } = options;
  const t = tokenizer(options.encoding ?? 'o200k_base');
  return {
    type: 'tokenLimit',
    scope: 'request',
    scan(text) {
      // A BPE token covers at least one UTF-8 byte, so a text of at most maxTokens bytes cannot be over the
      // limit: the common short request costs no tokenizing at all.
      if (text.length <= maxTokens && Buffer.byteLength(text, 'utf8') <= maxTokens)
        return { score: 0, findings: [] };
      let remaining = maxTokens;
      for (const piece of countingPieces(text)) {
        const within = t.isWithinTokenLimit(piece, remaining);
        if (within === false) {
          return { score: 1, findings: [{ start: 0, end: text.length, kind: `tokens>${maxTokens}` }] };
        }
        remaining -= within;
      }
      return { score: 0, findings: [] };
    },
  };
}

export function createTokenLimit(entry: ScannerEntry): Scanner {
  return tokenLimit({
    maxTokens: entry.params?.maxTokens ?? Number.POSITIVE_INFINITY,
    encoding: entry.params?.encoding,
  });
}
