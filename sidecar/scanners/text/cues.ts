import type { Finding, ScanResult } from '../types.ts';
import { flippedReadings } from './flipped.ts';
import { joinSpacedLetters, originalSpan, skeleton } from './normalize.ts';
import { restoreTriggerWords } from './typos.ts';

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
 * several to cross a threshold. Matching runs on the skeleton, then on other readings of it for the cues that
 * have not fired: letters spelled out one by one joined, then misspelled trigger words restored (typos.ts),
 * then, for text written backwards, flipped back (flipped.ts).
 * `prefilter: false` runs every cue's regex (what the prefilter must agree with; only tests and benchmarks
 * turn it off).
 */
export function scoreCues(
  text: string,
  cues: readonly Cue[],
  maxFindings = 32,
  prefilter = true,
): ScanResult {
  const sk = skeleton(text);
  const best = new Map<string, number>();
  const findings: Finding[] = [];
  const p = prefilter ? prefilterFor(cues) : undefined;
  const seen = p && present(p, sk.text);
  for (let k = 0; k < cues.length; k++) {
    const cue = cues[k]!;
    cue.re.lastIndex = 0;
    if (p && seen && !mayMatch(p, seen, k)) continue;
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
  sk.joined ??= joinSpacedLetters(sk.text, sk.map);
  sk.restored ??= restoreTriggerWords(sk.joined);
  sk.flipped ??= flippedReadings(sk.joined).map(restoreTriggerWords);
  let readBefore = sk.text;
  for (const reading of [sk.joined, sk.restored, ...sk.flipped]) {
    if (reading === readBefore) continue;
    readBefore = reading;
    const seenInReading = p && present(p, reading);
    for (let k = 0; k < cues.length; k++) {
      const cue = cues[k]!;
      if (cue.raw || best.has(cue.id)) continue;
      if (p && seenInReading && !mayMatch(p, seenInReading, k)) continue;
      cue.re.lastIndex = 0;
      if (cue.re.test(reading)) {
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

/**
 * Prefilter. Most cues start with `\\b(?:word|word|...)`: every match starts, at a word boundary, with
 * one of those literals. One pass of `\\b(?:every cue's literals)` over the text says which literals
 * occur at a word boundary; a cue none of whose literals does cannot match, and its own regex pass (the
 * engine tries it at every position) is skipped. Cues whose start is not such a literal in every branch
 * (a class, `^`, an optional group, no `\\b`) always run. Scores and findings are unchanged (cues.test.ts
 * checks it against the unfiltered run).
 */
interface Prefilter {
  /** Per cue, the indexes into `literals` one of which it needs; null: always run. */
  needs: (readonly number[] | null)[];
  literals: readonly string[];
  index: ReadonlyMap<string, number>;
  /** `\\b(?:literals, longest first)`: at a position, the longest literal that starts there. */
  scan: RegExp | undefined;
  /** Per literal, the literals that are prefixes of it (they start wherever it does). */
  prefixes: readonly (readonly number[])[];
}

const prefilters = new WeakMap<readonly Cue[], Prefilter>();

function prefilterFor(cues: readonly Cue[]): Prefilter {
  let p = prefilters.get(cues);
  if (p) return p;
  const perCue = cues.map((c) => (c.raw ? undefined : leadLiterals(c.re.source, true)));
  const literals = [...new Set(perCue.flatMap((l) => l ?? []))].sort((a, b) => b.length - a.length);
  const index = new Map(literals.map((l, i) => [l, i]));
  const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  p = {
    needs: perCue.map((l) => (l ? l.map((x) => index.get(x)!) : null)),
    literals,
    index,
    // Same flags as the cues ('u', no 'i'), so \b means what it means in them.
    scan: literals.length ? new RegExp(`\\b(?:${literals.map(escapeRe).join('|')})`, 'gu') : undefined,
    prefixes: literals.map((l) => literals.flatMap((x, j) => (l.startsWith(x) ? [j] : []))),
  };
  prefilters.set(cues, p);
  return p;
}

/** Which literals occur at a word boundary of `text`. */
function present(p: Prefilter, text: string): Uint8Array {
  const seen = new Uint8Array(p.literals.length);
  const re = p.scan;
  if (!re) return seen;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // Resume one past the start, not past the end: a literal may start inside this match ("you are
    // now " holds "now"); a shorter literal starting at the same place is one of its prefixes.
    re.lastIndex = m.index + 1;
    for (const j of p.prefixes[p.index.get(m[0])!]!) seen[j] = 1;
  }
  return seen;
}

function mayMatch(p: Prefilter, seen: Uint8Array, k: number): boolean {
  const needs = p.needs[k];
  if (!needs) return true;
  for (const i of needs) if (seen[i]) return true;
  return false;
}

/**
 * Literals one of which starts every match of `source` (a regex source without the `i` flag), or
 * undefined when that cannot be read off simply. With `wordStart`, only if every branch also has `\\b`
 * before its literal. Literals that start with a shorter one are dropped (the shorter is a weaker but
 * still necessary condition).
 */
export function leadLiterals(source: string, wordStart = false): string[] | undefined {
  const all = alternativesLiterals(source, wordStart, false);
  if (!all) return undefined;
  const unique = [...new Set(all)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const lit of unique) if (!kept.some((k) => lit.startsWith(k))) kept.push(lit);
  return kept;
}

/**
 * Walks a regex source from `from`, skipping escapes and character classes, and calls `visit` with each
 * other character, its index and the group depth before it; stops when `visit` returns true.
 */
function walkSource(
  source: string,
  from: number,
  visit: (c: string, i: number, depth: number) => boolean,
): void {
  let depth = 0;
  let inClass = false;
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (visit(c, i, depth)) return;
    if (c === '(') depth++;
    else if (c === ')') depth--;
  }
}

/** Top-level `|` split of a source, respecting escapes, character classes and groups. */
function splitAlternatives(source: string): string[] {
  const parts: string[] = [];
  let from = 0;
  walkSource(source, 0, (c, i, depth) => {
    if (c === '|' && depth === 0) {
      parts.push(source.slice(from, i));
      from = i + 1;
    }
    return false;
  });
  parts.push(source.slice(from));
  return parts;
}

function alternativesLiterals(source: string, wordStart: boolean, anchored: boolean): string[] | undefined {
  const out: string[] = [];
  for (const branch of splitAlternatives(source)) {
    const lits = branchLiterals(branch, wordStart, anchored);
    if (!lits) return undefined;
    out.push(...lits);
  }
  return out;
}

/** Index just past the group that opens at `open` (a `(`), or -1. */
function groupEnd(source: string, open: number): number {
  let end = -1;
  walkSource(source, open, (c, i, depth) => {
    if (c === ')' && depth === 1) {
      end = i + 1;
      return true;
    }
    return false;
  });
  return end;
}

const META = new Set(['\\', '(', ')', '[', ']', '{', '}', '?', '*', '+', '.', '|', '^', '$']);

function branchLiterals(branch: string, wordStart: boolean, anchored: boolean): string[] | undefined {
  let i = 0;
  for (;;) {
    // A word boundary consumes nothing; it says the literal starts where \b holds.
    if (branch.startsWith('\\b', i)) {
      i += 2;
      anchored = true;
      continue;
    }
    // Neither does a lookaround: it only narrows where the literal may match.
    if (/^\(\?<?[!=]/.test(branch.slice(i, i + 4))) {
      const end = groupEnd(branch, i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    break;
  }
  if (branch.startsWith('(?:', i)) {
    const end = groupEnd(branch, i);
    if (end < 0) return undefined;
    const q = branch[end];
    if (q === '?' || q === '*' || q === '{') return undefined; // the group may be absent
    return alternativesLiterals(branch.slice(i + 3, end - 1), wordStart, anchored);
  }
  if (wordStart && !anchored) return undefined;
  let j = i;
  while (j < branch.length && !META.has(branch[j]!)) j++;
  let lit = branch.slice(i, j);
  const q = branch[j];
  // A quantifier that allows zero makes the last character optional; `+` keeps it.
  if (q === '?' || q === '*' || q === '{') lit = lit.slice(0, -1);
  // A lone surrogate left by dropping half of an astral character would still be a valid (weaker)
  // condition, but keep literals whole code points.
  if (/[\uD800-\uDBFF]$/.test(lit)) lit = lit.slice(0, -1);
  return lit === '' ? undefined : [lit];
}
