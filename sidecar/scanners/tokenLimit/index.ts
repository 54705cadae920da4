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
  return tokenizer(encoding).countTokens(text);
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
      const within = t.isWithinTokenLimit(text, maxTokens);
      if (within !== false) return { score: 0, findings: [] };
      return { score: 1, findings: [{ start: 0, end: text.length, kind: `tokens>${maxTokens}` }] };
    },
  };
}

export function createTokenLimit(entry: ScannerEntry): Scanner {
  return tokenLimit({
    maxTokens: entry.params?.maxTokens ?? Number.POSITIVE_INFINITY,
    encoding: entry.params?.encoding,
  });
}
