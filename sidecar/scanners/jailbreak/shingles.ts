import { skeleton } from '../text/normalize.ts';

/** Word n-gram size: long enough that shared shingles mean shared wording, short enough to survive edits. */
export const SHINGLE_WORDS = 5;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a of `words[from..from+n)` joined by single spaces, hashed in place rather than joined
 * first (one string per shingle was most of this scanner's time). Collisions between a few thousand
 * shingles are negligible and only ever add overlap.
 */
function fnv1aWords(words: readonly string[], from: number, n: number): number {
  let h = FNV_OFFSET;
  for (let k = from; k < from + n; k++) {
    if (k > from) h = Math.imul(h ^ 0x20, FNV_PRIME);
    const word = words[k]!;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  }
  return h >>> 0;
}

/** Hashed word 5-gram shingles of the skeleton of `text` (so confusables and invisibles do not hide it). */
export function shingles(text: string): Set<number> {
  const words = skeleton(text).text.match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<number>();
  for (let i = 0; i + SHINGLE_WORDS <= words.length; i++) out.add(fnv1aWords(words, i, SHINGLE_WORDS));
  return out;
}

export interface Template {
  id: string;
  source: string;
  license: string;
  text: string;
}

export interface Match {
  id: string;
  /** Shared shingles over the smaller of the two sets (overlap coefficient). */
  overlap: number;
  shared: number;
}

/**
 * Exact set overlap against every template through an inverted index (shingle → templates). This is
 * what MinHash/LSH estimates; with a corpus of a few hundred templates the exact count is cheaper than
 * computing signatures, and has no estimation error.
 */
export class TemplateIndex {
  private readonly postings = new Map<number, number[]>();
  private readonly sizes: number[] = [];
  private readonly ids: string[] = [];

  constructor(templates: readonly Template[]) {
    templates.forEach((t, i) => {
      const set = shingles(t.text);
      this.ids.push(t.id);
      this.sizes.push(set.size);
      for (const h of set) {
        const list = this.postings.get(h);
        if (list) list.push(i);
        else this.postings.set(h, [i]);
      }
    });
  }

  get size(): number {
    return this.ids.length;
  }

  /** The best-overlapping template, counting only templates that share at least `minShared` shingles. */
  best(text: string, minShared: number): Match | undefined {
    const set = shingles(text);
    if (set.size === 0) return undefined;
    const counts = new Map<number, number>();
    for (const h of set) {
      for (const i of this.postings.get(h) ?? []) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    let best: Match | undefined;
    for (const [i, shared] of counts) {
      if (shared < minShared) continue;
      const overlap = shared / Math.min(set.size, this.sizes[i]!);
      if (!best || overlap > best.overlap) best = { id: this.ids[i]!, overlap, shared };
    }
    return best;
  }
}
