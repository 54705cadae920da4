/**
 * Text normalisation shared by the detection scanners. Attackers hide trigger phrases from naive matching
 * with compatibility characters (fullwidth, mathematical alphanumerics), look-alike letters from other
 * scripts, combining marks and invisible characters. We match on a "skeleton" in the spirit of UTS #39
 * (https://www.unicode.org/reports/tr39/#Confusable_Detection): NFKD, marks dropped, confusables folded to
 * Latin, lower-cased, invisibles removed, whitespace collapsed. Every skeleton character keeps the offset
 * of the original character it came from, so findings can still point into the original text.
 */

/** Characters that render as nothing (or only steer rendering) and so can split a word invisibly. */
export function isInvisible(cp: number): boolean {
  return (
    cp === 0x00ad || // soft hyphen
    cp === 0x034f || // combining grapheme joiner
    cp === 0x061c || // Arabic letter mark
    cp === 0x115f ||
    cp === 0x1160 || // Hangul fillers
    cp === 0x180e || // Mongolian vowel separator
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space/joiners, LRM, RLM
    (cp >= 0x202a && cp <= 0x202e) || // bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x206f) || // word joiner, invisible operators, bidi isolates, deprecated format
    cp === 0x3164 ||
    cp === 0xffa0 || // Hangul fillers
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    cp === 0xfeff || // zero-width no-break space / BOM
    (cp >= 0xfff0 && cp <= 0xfff8) ||
    (cp >= 0x1d173 && cp <= 0x1d17a) || // musical symbol format controls
    (cp >= 0xe0000 && cp <= 0xe007f) || // tag characters
    (cp >= 0xe0100 && cp <= 0xe01ef) // variation selectors supplement
  );
}

/**
 * Look-alikes that NFKD leaves alone. Upper-case forms are listed separately where their lower-case form
 * looks like a different Latin letter (Greek Ν looks like N, ν like v).
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  А: 'a',
  а: 'a',
  В: 'b',
  в: 'b',
  Е: 'e',
  е: 'e',
  Ё: 'e',
  ё: 'e',
  К: 'k',
  к: 'k',
  М: 'm',
  м: 'm',
  Н: 'h',
  н: 'h',
  О: 'o',
  о: 'o',
  Р: 'p',
  р: 'p',
  С: 'c',
  с: 'c',
  Т: 't',
  т: 't',
  У: 'y',
  у: 'y',
  Х: 'x',
  х: 'x',
  Ѕ: 's',
  ѕ: 's',
  І: 'i',
  і: 'i',
  Ї: 'i',
  ї: 'i',
  Ј: 'j',
  ј: 'j',
  Ԁ: 'd',
  ԁ: 'd',
  Һ: 'h',
  һ: 'h',
  Ԛ: 'q',
  ԛ: 'q',
  Ԝ: 'w',
  ԝ: 'w',
  Ӏ: 'l',
  ӏ: 'l',
  Ь: 'b',
  ь: 'b',
  Ү: 'y',
  ү: 'y',
  // Greek
  Α: 'a',
  α: 'a',
  Β: 'b',
  β: 'b',
  Ε: 'e',
  ε: 'e',
  Ζ: 'z',
  Η: 'h',
  η: 'n',
  Ι: 'i',
  ι: 'i',
  Κ: 'k',
  κ: 'k',
  Μ: 'm',
  μ: 'u',
  Ν: 'n',
  ν: 'v',
  Ο: 'o',
  ο: 'o',
  Ρ: 'p',
  ρ: 'p',
  Τ: 't',
  τ: 't',
  Υ: 'y',
  υ: 'u',
  Χ: 'x',
  χ: 'x',
  γ: 'y',
  ω: 'w',
  // Armenian
  օ: 'o',
  ս: 'u',
  հ: 'h',
  ո: 'n',
  ց: 'g',
  // Latin extensions and small capitals (not decomposed by NFKD)
  ı: 'i',
  ȷ: 'j',
  ɡ: 'g',
  ɑ: 'a',
  ǀ: 'l',
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ꜰ: 'f',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ʀ: 'r',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
};

export interface Skeleton {
  /** Normalised text: lower-case Latin look-alikes, no marks, no invisibles, one space or newline per run. */
  text: string;
  /** For each UTF-16 unit of `text`, the UTF-16 offset in the original text it came from. */
  map: Int32Array;
  /** joinSpacedLetters(text), computed on first use and kept with the cached skeleton. */
  joined?: string;
  /** restoreTriggerWords(joined) (typos.ts), computed on first use and kept likewise. */
  restored?: string;
  /** flippedReadings(joined) (flipped.ts), misspellings restored, computed on first use and kept likewise. */
  flipped?: readonly string[];
}

const MARK = /\p{M}/u;
const SPACE = /\s/u;

/**
 * The scanners of one request skeletonize the same texts one after another (promptInjection, jailbreak,
 * encoding, topics, bannedSubstrings, each over every message), and consecutive requests often repeat a
 * system prompt; remembering the last few results saves all but the first pass. Small and bounded.
 * Looked up with `===` from the newest entry, not through a Map: a request's texts are fresh strings, and
 * a Map would hash each one in full (~1 µs per KB) where `===` rejects a different length at once and
 * compares equal lengths with memcmp.
 */
const CACHE_SIZE = 32;
const cacheTexts: string[] = [];
const cacheSkeletons: Skeleton[] = [];
let cacheNext = 0;

/** Builds the matching skeleton of `text` (see the module comment). Linear in the text length. */
export function skeleton(text: string): Skeleton {
  for (let k = 1; k <= cacheTexts.length; k++) {
    const i = (cacheNext - k + CACHE_SIZE) % CACHE_SIZE;
    if (cacheTexts[i] === text) return cacheSkeletons[i]!;
  }
  const built = buildSkeleton(text);
  cacheTexts[cacheNext] = text;
  cacheSkeletons[cacheNext] = built;
  cacheNext = (cacheNext + 1) % CACHE_SIZE;
  return built;
}

function buildSkeleton(text: string): Skeleton {
  const out: string[] = [];
  const map = new Int32Array(text.length + 1);
  let n = 0;
  let lastSpace = true; // drops leading whitespace
  const push = (ch: string, at: number) => {
    out.push(ch);
    map[n++] = at;
  };
  // A whitespace run becomes one space, or one newline if it holds a line break: rules anchor on lines.
  const space = (cp: number, at: number) => {
    const newline = cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029 || cp === 0x85;
    if (!lastSpace) push(newline ? '\n' : ' ', at);
    else if (newline && n > 0 && out[n - 1] === ' ') out[n - 1] = '\n';
    lastSpace = true;
  };
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const at = i;
    i += width;
    if (cp < 0x80) {
      if (cp <= 0x20 || cp === 0x7f) {
        space(cp, at);
        continue;
      }
      push(cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : String.fromCharCode(cp), at);
      lastSpace = false;
      continue;
    }
    if (isInvisible(cp)) continue;
    // Regional indicator symbols (🇦..🇿) read as letters when not paired into a flag.
    if (cp >= 0x1f1e6 && cp <= 0x1f1ff) {
      push(String.fromCharCode(0x61 + cp - 0x1f1e6), at);
      lastSpace = false;
      continue;
    }
    const ch = text.slice(at, i);
    if (SPACE.test(ch)) {
      space(cp, at);
      continue;
    }
    for (const part of ch.normalize('NFKD')) {
      if (MARK.test(part)) continue;
      const folded = CONFUSABLES[part] ?? part.toLowerCase();
      for (const unit of folded) {
        if (MARK.test(unit)) continue;
        if (SPACE.test(unit)) {
          space(0x20, at);
          continue;
        }
        for (let k = 0; k < unit.length; k++) push(unit[k]!, at);
        lastSpace = false;
      }
    }
  }
  map[n] = text.length;
  return { text: out.join(''), map: map.subarray(0, n + 1) };
}

/**
 * Joins letters spelled out with single separators ("i g n o r e", "i.g.n.o.r.e") so word-level rules see
 * the word. Only runs of four or more single letters are joined, so ordinary text ("a b testing") is kept.
 * With the skeleton's map, a gap that was wider in the original than one character ("i g n o r e   a l l",
 * the skeleton having collapsed the run of spaces) stays a space: the writer's word break.
 */
export function joinSpacedLetters(text: string, map?: Int32Array): string {
  return text.replace(
    /(?<![\p{L}\p{N}])(?:\p{L}[ .\-_*|/]){3,}\p{L}(?![\p{L}\p{N}])/gu,
    (run: string, at: number) => {
      let out = '';
      for (let i = 0; i < run.length; i++) {
        const ch = run[i]!;
        if (!SEPARATOR.test(ch)) out += ch;
        else if (map && map[at + i + 1]! - map[at + i]! > 1) out += ' ';
      }
      return out;
    },
  );
}

const SEPARATOR = /[ .\-_*|/]/;

/** Maps a span of a skeleton of `original` back to a span of `original`. */
export function originalSpan(
  s: Skeleton,
  original: string,
  start: number,
  end: number,
): { start: number; end: number } {
  if (start >= s.text.length) return { start: original.length, end: original.length };
  const from = s.map[start]!;
  const lastAt = s.map[Math.max(start, Math.min(end, s.text.length) - 1)]!;
  // One past the original character the span's last unit came from (which may be a surrogate pair).
  const to = lastAt + ((original.codePointAt(lastAt) ?? 0) > 0xffff ? 2 : 1);
  return { start: from, end: Math.max(to, from) };
}
