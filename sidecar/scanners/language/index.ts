import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { Scanner } from '../types.ts';

type Eld = typeof import('eld/extrasmall')['eld'];

/**
 * eld's n-gram tables cost memory (the extrasmall set ≈ 80 MiB of heap, medium ≈ 190 MiB), so they are
 * loaded only when a policy has a language scanner: the import starts when the scanner is built, and
 * the first scan waits for it. extrasmall keeps the guard inside its memory budget; its accuracy on
 * sentences of a few words is lower than the larger sets, which is why short texts are not judged.
 */
let eldLoading: Promise<Eld> | undefined;
export function loadDetector(): Promise<Eld> {
  eldLoading ??= import('eld/extrasmall').then((m) => m.eld);
  return eldLoading;
}

/**
 * Language identification with eld (n-gram detector, 60 languages, ISO 639-1 output). Policies may name a
 * language by its 639-1 or 639-3 code; 639-3 codes are mapped to 639-1 for the languages eld knows.
 */
const ISO639_3: Record<string, string> = {
  amh: 'am',
  ara: 'ar',
  aze: 'az',
  bel: 'be',
  bul: 'bg',
  ben: 'bn',
  cat: 'ca',
  ces: 'cs',
  dan: 'da',
  deu: 'de',
  ell: 'el',
  eng: 'en',
  spa: 'es',
  est: 'et',
  eus: 'eu',
  fas: 'fa',
  pes: 'fa',
  fin: 'fi',
  fra: 'fr',
  guj: 'gu',
  heb: 'he',
  hin: 'hi',
  hrv: 'hr',
  hun: 'hu',
  hye: 'hy',
  isl: 'is',
  ita: 'it',
  jpn: 'ja',
  kat: 'ka',
  kan: 'kn',
  kor: 'ko',
  kur: 'ku',
  lao: 'lo',
  lit: 'lt',
  lav: 'lv',
  mal: 'ml',
  mar: 'mr',
  msa: 'ms',
  zsm: 'ms',
  nld: 'nl',
  nor: 'no',
  nob: 'no',
  nno: 'no',
  ori: 'or',
  pan: 'pa',
  pol: 'pl',
  por: 'pt',
  ron: 'ro',
  rus: 'ru',
  slk: 'sk',
  slv: 'sl',
  sqi: 'sq',
  srp: 'sr',
  swe: 'sv',
  tam: 'ta',
  tel: 'te',
  tha: 'th',
  tgl: 'tl',
  tur: 'tr',
  ukr: 'uk',
  urd: 'ur',
  vie: 'vi',
  yor: 'yo',
  zho: 'zh',
  cmn: 'zh',
};

/** The ISO 639-1 code for a 639-1 or 639-3 code (unknown codes pass through and simply never match). */
export function toIso6391(code: string): string {
  const c = code.toLowerCase();
  return c.length === 3 ? (ISO639_3[c] ?? c) : c;
}

/** Texts shorter than this (after stripping code, URLs and numbers) carry too little signal to judge. */
const MIN_LETTERS = 24;

/** Strips what is language-neutral and would only confuse an n-gram model: code, URLs, numbers. */
function prose(text: string): string {
  return text
    .replace(/```[\s\S]*?```|`[^`]*`/g, ' ')
    .replace(/\bhttps?:\/\/\S+/g, ' ')
    .replace(/[\p{N}\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface LanguageOptions {
  /** Allowed languages, ISO 639-1 or 639-3 codes. */
  allowed: readonly string[];
}

export interface Detected {
  language: string;
  reliable: boolean;
}

export async function detectLanguage(text: string): Promise<Detected | undefined> {
  const p = prose(text);
  if (p.replace(/\s/g, '').length < MIN_LETTERS) return undefined;
  const result = (await loadDetector()).detect(p);
  if (!result.language) return undefined;
  return { language: result.language, reliable: result.isReliable() };
}

/**
 * Score 1 for a reliable detection of a language outside the allow-list, 0.6 for an unreliable one (so
 * the default threshold still fires, while a stricter one can wait for certainty), 0 otherwise.
 */
export function language(options: LanguageOptions): Scanner {
  const allowed = new Set(options.allowed.map(toIso6391));
  void loadDetector();
  return {
    type: 'language',
    async scan(text) {
      const d = await detectLanguage(text);
      if (!d || allowed.has(d.language)) return { score: 0, findings: [] };
      return {
        score: d.reliable ? 1 : 0.6,
        findings: [{ start: 0, end: text.length, kind: `language:${d.language}` }],
      };
    },
  };
}

export function createLanguage(entry: ScannerEntry): Scanner {
  return language({ allowed: entry.params?.allowed ?? [] });
}
