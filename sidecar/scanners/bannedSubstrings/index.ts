import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { originalSpan, skeleton } from '../text/normalize.ts';
import { mergeFindings, redactFindings } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';

export interface BannedSubstringsOptions {
  substrings: readonly string[];
  /** Match case exactly (default false). Case-insensitive matching also folds look-alikes and invisibles. */
  caseSensitive?: boolean | undefined;
  /** Only whole words: "ass" does not match "class" (default false). */
  wholeWords?: boolean | undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Case-insensitive matching runs on the skeleton (normalize.ts) of both the text and the substrings, so
 * "Prоject Nightingale" with a Cyrillic о or a zero-width space inside still matches. Case-sensitive
 * matching is exact on the original text: whoever asks for it wants precisely that string.
 */
export function bannedSubstrings(options: BannedSubstringsOptions): Scanner {
  const { caseSensitive = false, wholeWords = false } = options;
  const entries = options.substrings.map((s) => ({
    label: s,
    needle: caseSensitive ? s : skeleton(s).text,
  }));
  const source = entries
    .filter((e) => e.needle.length > 0)
    .map((e) => {
      const body = escapeRegExp(e.needle).replace(/ /g, '\\s+');
      return wholeWords ? `(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])` : body;
    })
    .join('|');
  const re = new RegExp(source || '(?!)', 'gu');
  const maxLength = Math.max(1, ...entries.map((e) => e.label.length));
  return {
    type: 'bannedSubstrings',
    // Invisible characters between the letters could make a match longer than the phrase; allow for some.
    maxFindingLength: maxLength * 4 + 16,
    scan(text) {
      const findings: Finding[] = [];
      const sk = caseSensitive ? undefined : skeleton(text);
      const haystack = sk ? sk.text : text;
      // An exec loop: matchAll clones the RegExp on every call.
      re.lastIndex = 0;
      for (let m = re.exec(haystack); m !== null; m = re.exec(haystack)) {
        const matched = sk ? m[0].replace(/\s+/g, ' ') : m[0];
        const entry =
          entries.find((e) => e.needle === matched) ?? entries.find((e) => matched.includes(e.needle));
        const span = sk
          ? originalSpan(sk, text, m.index, m.index + m[0].length)
          : { start: m.index, end: m.index + m[0].length };
        findings.push({ ...span, kind: `banned:${entry?.label ?? 'substring'}` });
      }
      return { score: findings.length > 0 ? 1 : 0, findings: mergeFindings(findings) };
    },
    rewrite: (text, findings) => redactFindings(text, findings),
  };
}

export function createBannedSubstrings(entry: ScannerEntry): Scanner {
  return bannedSubstrings({
    substrings: entry.params?.substrings ?? [],
    caseSensitive: entry.params?.caseSensitive,
    wholeWords: entry.params?.wholeWords,
  });
}
