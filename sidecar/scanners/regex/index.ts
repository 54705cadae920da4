import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { mergeFindings, redactFindings } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';

export interface RegexOptions {
  /** JavaScript regular expressions, compiled with the `u` flag (and `i` unless caseSensitive). */
  patterns: readonly string[];
  caseSensitive?: boolean | undefined;
  /** Longest match we expect, for the streaming hold-back (default 256). */
  maxMatchLength?: number | undefined;
}

export class InvalidPatternError extends Error {}

/** Compiles every pattern up front, so a bad policy fails when it is loaded rather than on a request. */
export function compilePatterns(patterns: readonly string[], caseSensitive: boolean): RegExp[] {
  return patterns.map((p, i) => {
    try {
      return new RegExp(p, caseSensitive ? 'gu' : 'giu');
    } catch (err) {
      throw new InvalidPatternError(
        `regex pattern ${i} (${JSON.stringify(p)}) does not compile with the u flag: ${(err as Error).message}`,
      );
    }
  });
}

export function regex(options: RegexOptions): Scanner {
  const res = compilePatterns(options.patterns, options.caseSensitive ?? false);
  return {
    type: 'regex',
    maxFindingLength: options.maxMatchLength ?? 256,
    scan(text) {
      const findings: Finding[] = [];
      res.forEach((re, i) => {
        re.lastIndex = 0;
        for (const m of text.matchAll(re)) {
          if (m[0].length > 0)
            findings.push({ start: m.index, end: m.index + m[0].length, kind: `regex:${i}` });
        }
      });
      return { score: findings.length > 0 ? 1 : 0, findings: mergeFindings(findings) };
    },
    rewrite: (text, findings) => redactFindings(text, findings),
  };
}

export function createRegex(entry: ScannerEntry): Scanner {
  return regex({ patterns: entry.params?.patterns ?? [], caseSensitive: entry.params?.caseSensitive });
}
