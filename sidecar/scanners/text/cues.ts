import type { Finding, ScanResult } from '../types.ts';
import { joinSpacedLetters, originalSpan, skeleton } from './normalize.ts';

/** A weighted textual cue: a regular expression over the skeleton (lower-case, see normalize.ts). */
export interface Cue {
  /** Reported as the finding kind, e.g. `override`. Cues sharing an id count once (their maximum). */
  id: string;
  re: RegExp;
  /** How sure one match makes us, 0..1. */
  weight: number;
  /** Match the original text instead of the skeleton (for signals that live in case, e.g. "SYSTEM:"). */
  raw?: boolean;
}

/**
 * Scores text against a cue list. Distinct cue ids combine as a noisy-OR (1 − Π(1 − w)): independent
 * pieces of evidence add up, one strong cue is enough, and a pile of weak ones approaches but needs
 * several to cross a threshold. Matching runs on the skeleton and, if letters were spelled out one by one,
 * on the skeleton with them joined.
 */
export function scoreCues(text: string, cues: readonly Cue[], maxFindings = 32): ScanResult {
  const sk = skeleton(text);
  const best = new Map<string, number>();
  const findings: Finding[] = [];
  for (const cue of cues) {
    cue.re.lastIndex = 0;
    if (cue.raw) {
      const m = cue.re.exec(text);
      if (m) {
        best.set(cue.id, Math.max(best.get(cue.id) ?? 0, cue.weight));
        if (findings.length < maxFindings)
          findings.push({ start: m.index, end: m.index + m[0].length, kind: cue.id });
      }
      continue;
    }
    if (!cue.re.global) {
      const m = cue.re.exec(sk.text);
      if (m) record(cue, m.index, m.index + m[0].length);
      continue;
    }
    // exec in a loop rather than matchAll: matchAll clones the RegExp on every call, which cost more
    // than the matching itself for ~40 cues over each message.
    const re = cue.re;
    for (let m = re.exec(sk.text); m !== null; m = re.exec(sk.text)) {
      if (m[0] === '') re.lastIndex++;
      record(cue, m.index, m.index + m[0].length);
      if (findings.length >= maxFindings) break;
    }
  }
  sk.joined ??= joinSpacedLetters(sk.text);
  const joined = sk.joined;
  if (joined !== sk.text) {
    for (const cue of cues) {
      if (cue.raw || best.has(cue.id)) continue;
      cue.re.lastIndex = 0;
      if (cue.re.test(joined)) {
        best.set(cue.id, Math.max(best.get(cue.id) ?? 0, cue.weight));
        findings.push({ start: 0, end: text.length, kind: cue.id });
      }
    }
  }
  return { score: noisyOr(best.values()), findings };

  function record(cue: Cue, start: number, end: number) {
    best.set(cue.id, Math.max(best.get(cue.id) ?? 0, cue.weight));
    if (findings.length < maxFindings) findings.push({ ...originalSpan(sk, text, start, end), kind: cue.id });
  }
}

export function noisyOr(weights: Iterable<number>): number {
  let keep = 1;
  for (const w of weights) keep *= 1 - Math.min(1, Math.max(0, w));
  return 1 - keep;
}
