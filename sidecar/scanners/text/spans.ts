import type { Finding } from '../types.ts';

/** Sorts findings and merges overlapping ones (the earlier kind wins), so rewrites never overlap. */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  if (findings.length === 0) return [];
  const sorted = [...findings]
    .filter((f) => f.end > f.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      if (f.end > last.end) out[out.length - 1] = { ...last, end: f.end };
      continue;
    }
    out.push({ ...f });
  }
  return out;
}

/** Replaces each (merged) finding span with what `replace` returns for it. */
export function replaceFindings(
  text: string,
  findings: readonly Finding[],
  replace: (finding: Finding, matched: string) => string,
): string {
  let out = '';
  let at = 0;
  for (const f of mergeFindings(findings)) {
    if (f.start < at) continue;
    out += text.slice(at, f.start) + replace(f, text.slice(f.start, f.end));
    at = f.end;
  }
  return out + text.slice(at);
}

/** The default redaction: `[REDACTED:<kind>]` for every finding (see Scanner.rewrite). */
export function redactFindings(text: string, findings: readonly Finding[]): string {
  return replaceFindings(text, findings, (f) => `[REDACTED:${f.kind}]`);
}

/** Shannon entropy in bits per character; random tokens score high, words and repeated characters low. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
