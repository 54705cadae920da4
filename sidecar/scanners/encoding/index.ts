import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { injectionHeuristics } from '../promptInjection/index.ts';
import { withoutTrailing } from '../text/trim.ts';
import type { Finding, Scanner } from '../types.ts';

/**
 * Encoded payloads: a model decodes base64, hex or rot13 happily, so an instruction hidden that way reaches
 * it intact while every text rule looks at noise. We decode what looks encoded (recursively, up to
 * maxDepth layers) and score the decoded text with the prompt-injection heuristics. A decoded layer that is
 * readable text but holds no injection cue scores a little (an obfuscated message is unusual in a chat,
 * yet harmless payloads are common in code and data), never enough to fire on its own.
 */

const DECODED_TEXT_SCORE = 0.3;
/** Decoding and rescanning is bounded per text so that a hostile input cannot make us do unbounded work. */
const MAX_CANDIDATES = 64;
const MAX_CANDIDATE_LENGTH = 64 * 1024;

interface Layer {
  scheme: string;
  decoded: string;
  start: number;
  end: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Readable text: valid UTF-8, almost no control characters, and some letters. */
export function readable(s: string): boolean {
  if (s.length < 4) return false;
  let letters = 0;
  let bad = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (
      (cp < 0x20 && cp !== 0x0a && cp !== 0x0d && cp !== 0x09) ||
      cp === 0xfffd ||
      (cp >= 0x7f && cp < 0xa0)
    )
      bad++;
    else if (/\p{L}/u.test(ch)) letters++;
  }
  return bad === 0 && letters >= Math.min(4, s.length / 3) && letters / s.length > 0.4;
}

function bytesToText(bytes: Uint8Array): string | undefined {
  try {
    const s = utf8.decode(bytes);
    return readable(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

function base64Decode(s: string): string | undefined {
  const clean = s.replace(/\s+/g, '');
  if (clean.length < 12 || clean.length % 4 === 1) return undefined;
  // Mixed case and a digit or symbol, or it is probably a long word or identifier (camelCase names).
  if (!/[a-z]/.test(clean) || !/[A-Z]/.test(clean) || !/[0-9+/=_-]/.test(clean)) return undefined;
  return bytesToText(Buffer.from(clean.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

function base32Decode(s: string): string | undefined {
  const clean = withoutTrailing(s, '=').toUpperCase();
  if (clean.length < 16 || !/^[A-Z2-7]+$/.test(clean) || !/[2-7]/.test(clean)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    buffer = (buffer << 5) | 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytesToText(Uint8Array.from(bytes));
}

function hexDecode(s: string): string | undefined {
  const clean = s.replace(/\\x|0x|[\s:,-]/gi, '');
  if (clean.length < 16 || clean.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(clean)) return undefined;
  return bytesToText(Buffer.from(clean, 'hex'));
}

function urlDecode(s: string): string | undefined {
  try {
    const d = decodeURIComponent(s.replace(/\+/g, ' '));
    return d !== s && readable(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

function entityDecode(s: string): string | undefined {
  const d = s.replace(/&#x([0-9a-f]{1,6});?|&#(\d{1,7});?/gi, (_, hex: string, dec: string) => {
    const cp = hex ? Number.parseInt(hex, 16) : Number(dec);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
  return readable(d) ? d : undefined;
}

export function rot13(s: string): string {
  // A code-unit loop: a replace callback per letter made this the encoding scanner's largest cost.
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) out[i] = ((c - 65 + 13) % 26) + 65;
    else if (c >= 97 && c <= 122) out[i] = ((c - 97 + 13) % 26) + 97;
    else out[i] = c;
  }
  // fromCharCode in slices (argument count limits), not TextDecoder: lone surrogates must survive as they are.
  let text = '';
  for (let i = 0; i < out.length; i += 4096) text += String.fromCharCode(...out.subarray(i, i + 4096));
  return text;
}

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

/** Replaces leetspeak digits and symbols inside words ("1gn0r3 pr3v10u5") with letters. */
export function deleet(s: string, one = 'i'): string {
  // From the start of a run only: started inside a long run of letters, each start walked the rest of it.
  return s.replace(/(?<![\p{L}0-9@$!|+])[\p{L}0-9@$!|+]*[0-9@$!|+][\p{L}0-9@$!|+]*/gu, (word) =>
    /\p{L}/u.test(word) || word.length >= 3
      ? word.replace(/[0-9@$!|+]/g, (c) => (c === '1' ? one : (LEET[c] ?? c)))
      : word,
  );
}

/** Per ASCII code: 1 when `chars` holds it. */
function asciiTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return table;
}
const BASE64_CHARS = asciiTable('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-');
const BASE32_CHARS = asciiTable('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');

/**
 * True when `text` has `length` consecutive characters of `table`. A character loop, because the
 * candidate patterns below restart at every position of a word and scan to its end (prose costs ~9 µs
 * per KB in the base64 one) and V8 cannot skip ahead over a character class.
 */
export function hasRun(text: string, table: Uint8Array, length: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && table[c] === 1) {
      if (++run >= length) return true;
    } else run = 0;
  }
  return false;
}

const CANDIDATES: readonly {
  scheme: string;
  re: RegExp;
  decode: (s: string) => string | undefined;
  /** Cheap test that the text can hold this encoding at all. */
  hint?: (text: string) => boolean;
}[] = [
  // Base64 as a token, or wrapped over lines as in MIME/PEM; a run of prose words is never one candidate.
  {
    scheme: 'base64',
    re: /[A-Za-z0-9+/_-]{16,}={0,2}(?:\r?\n[A-Za-z0-9+/_-]{4,}={0,2})*/g,
    decode: base64Decode,
    hint: (t) => hasRun(t, BASE64_CHARS, 16),
  },
  {
    scheme: 'base32',
    re: /\b[A-Z2-7]{16,}={0,6}/g,
    decode: base32Decode,
    hint: (t) => hasRun(t, BASE32_CHARS, 16),
  },
  {
    scheme: 'hex',
    re: /(?<![0-9A-Za-z])(?:\\x|0x)?[0-9a-fA-F]{2}(?:(?:\s|:|,|-|\\x|0x)?[0-9a-fA-F]{2}){7,}(?![0-9A-Za-z])/g,
    decode: hexDecode,
  },
  {
    scheme: 'url',
    re: /(?:[^\s%]{0,20}%[0-9a-fA-F]{2}){3,}[^\s%]*/g,
    decode: urlDecode,
    hint: (t) => t.includes('%'),
  },
  {
    scheme: 'html-entity',
    re: /(?:[^\s&]{0,10}&#(?:x[0-9a-fA-F]{1,6}|\d{1,7});?){3,}[^\s&]*/g,
    decode: entityDecode,
    hint: (t) => t.includes('&#'),
  },
];

/** Encoded-looking spans of `text` that decode to readable text. */
export function decodeLayers(text: string): Layer[] {
  const layers: Layer[] = [];
  for (const c of CANDIDATES) {
    if (c.hint && !c.hint(text)) continue;
    c.re.lastIndex = 0;
    for (let m = c.re.exec(text); m !== null; m = c.re.exec(text)) {
      if (m[0] === '') c.re.lastIndex++;
      if (layers.length >= MAX_CANDIDATES) return layers;
      if (m[0].length > MAX_CANDIDATE_LENGTH) continue;
      const decoded = c.decode(m[0]);
      if (decoded !== undefined)
        layers.push({ scheme: c.scheme, decoded, start: m.index, end: m.index + m[0].length });
    }
  }
  return layers;
}

const COMMON_WORDS =
  'the|and|you|to|of|is|are|that|this|it|for|all|your|ignore|instructions?|previous|say|print|now';
const COMMON = new RegExp(`\\b(?:${COMMON_WORDS})\\b`, 'gi');
/** The same words rot13-encoded: counting them in a text counts COMMON in its rot13, without decoding. */
const COMMON_ROT13 = new RegExp(`\\b(?:${rot13(COMMON_WORDS)})\\b`, 'gi');
const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;

/** rot13 text turns common English words into noise and back: it has more of them decoded than plain. */
function looksRot13(text: string): boolean {
  const sample = text.length > 1024 ? text.slice(0, 1024) : text;
  return count(sample, COMMON_ROT13) > count(sample, COMMON);
}

/**
 * Three or more words that mix letters with leet digits or symbols ("1gn0r3", "pr3v10u5"); sentence
 * punctuation ("Hi!") does not count, and one e-mail address or model name ("GPT4") is not enough.
 */
function looksLeet(text: string): boolean {
  return leetWords(text, 3) >= 3;
}

const LEET_MARK = /[0-9@$]/;
const LEET_WORD = /[\p{L}0-9@$]{3,}/gu;
const LETTER = /\p{L}/u;

/**
 * How many words (maximal runs of letters, digits, @ and $, three or more long) hold both a letter and
 * a digit, @ or $; counting stops at `enough`. The same count as matching
 * `(?=[\p{L}0-9@$]*\p{L})(?=[\p{L}0-9@$]*[0-9@$])[\p{L}0-9@$]{3,}` (tested), which retried both
 * lookaheads from every position of every word: ~10 µs per KB of prose.
 */
export function leetWords(text: string, enough = Number.POSITIVE_INFINITY): number {
  if (!LEET_MARK.test(text)) return 0;
  let n = 0;
  LEET_WORD.lastIndex = 0;
  for (let m = LEET_WORD.exec(text); m !== null; m = LEET_WORD.exec(text)) {
    if (LEET_MARK.test(m[0]) && LETTER.test(m[0]) && ++n >= enough) break;
  }
  return n;
}

export interface EncodingOptions {
  /** Nested decodings to try (base64 of hex of ...); default 2. */
  maxDepth?: number | undefined;
}

export function findEncoded(text: string, maxDepth: number): { score: number; findings: Finding[] } {
  let score = 0;
  const findings: Finding[] = [];
  // Whole-text transforms: rot13 and leetspeak have no recognisable envelope, so we score the transformed
  // text and only count what the plain text did not already show (the injection scanner sees that). Each
  // transform is tried only when the text shows a sign of it, which keeps ordinary prose to one pass.
  const variants: [string, string][] = [];
  if (looksRot13(text)) variants.push(['rot13', rot13(text)]);
  if (looksLeet(text)) variants.push(['leet', deleet(text)], ['leet', deleet(text, 'l')]);
  const plain = variants.length > 0 ? injectionHeuristics(text).score : 0;
  for (const [scheme, variant] of variants) {
    if (variant === text) continue;
    const s = injectionHeuristics(variant).score;
    if (s > plain && s > score) {
      score = s;
      findings.push({ start: 0, end: text.length, kind: `${scheme}>injection` });
    }
  }
  const visit = (layers: Layer[], depth: number, outer?: { start: number; end: number; path: string }) => {
    for (const layer of layers) {
      const span = outer ?? { start: layer.start, end: layer.end, path: '' };
      const path = `${span.path}${layer.scheme}>`;
      const heuristic = injectionHeuristics(layer.decoded).score;
      const rot = injectionHeuristics(rot13(layer.decoded)).score;
      const s = Math.max(DECODED_TEXT_SCORE, heuristic, rot);
      if (s > DECODED_TEXT_SCORE)
        findings.push({ start: span.start, end: span.end, kind: `${path}injection` });
      else findings.push({ start: span.start, end: span.end, kind: `${path}text` });
      score = Math.max(score, s);
      if (depth < maxDepth) visit(decodeLayers(layer.decoded), depth + 1, { ...span, path });
    }
  };
  visit(decodeLayers(text), 1);
  return { score, findings };
}

export function encoding(options: EncodingOptions = {}): Scanner {
  const maxDepth = options.maxDepth ?? 2;
  return { type: 'encoding', scan: (text) => findEncoded(text, maxDepth) };
}

export function createEncoding(entry: ScannerEntry): Scanner {
  return encoding({ maxDepth: entry.params?.maxDepth });
}
