/** Building blocks of the cue regexes (cues.ts), shared by the scanners' cue lists. */

/** A group of alternatives. */
export const w = (words: string) => `(?:${words})`;

/** A cue's regex: global (every match is a finding) and Unicode (`\p{L}`). */
export const re = (source: string) => new RegExp(source, 'gu');

// Every part is bounded, so that a match started at a trigger word walks a bounded stretch of text however
// the text goes on: "ignore-ignore-ignore-..." is one hyphenated word, "- - - -" one separator, and walked
// to its end from each of its trigger words, 145 KB of either took seconds to minutes (checked with recheck,
// https://makenowjust-labs.github.io/recheck/, on every cue). A filler word longer than that is no filler.
const SEPARATOR = `[\\s,;:'"“”‘’()-]{1,16}`;
// Apostrophes and hyphens only inside a word ("don't", "well-known"), and a word is always taken whole (the
// lookahead). Where a word may start or end with one, as the separator may, or stop anywhere, a run like
// "----------" or "a'a'a'a'" splits between words and separators in exponentially many ways, and a failing
// match tries them all: 40 hyphens after "ignore" took minutes.
const WORD = `[\\p{L}\\p{N}]{1,64}(?:['’-][\\p{L}\\p{N}]{1,64}){0,4}(?![\\p{L}\\p{N}]|['’-][\\p{L}\\p{N}])`;

/** Up to n filler words between the parts of a phrase. */
export const gap = (n: number) => `(?:${SEPARATOR}${WORD}){0,${n}}?${SEPARATOR}`;
