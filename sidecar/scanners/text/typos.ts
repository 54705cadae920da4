import { distance } from 'fastest-levenshtein';

/**
 * Reads misspelled trigger words as the words they stand for, so the cues see "ignore all previous
 * instructions" in "ignroe all prevoius insturctions". Scrambling the middle of words (typoglycemia) is a
 * documented way past keyword filters: readers, human or model, still read the words
 * (https://cheatsheetseries.owasp.org/cheatsheets/LLM_Prompt_Injection_Prevention_Cheat_Sheet.html).
 *
 * Only the trigger words below are restored, and a word is read as one only when it is no English word itself
 * ("ignite" and "forest" are left alone; the dictionary test in typos.test.ts keeps REAL_WORDS complete).
 * A restored word fires nothing on its own: every cue still needs its object and context around it.
 */

/** Words the cues anchor on, in the skeleton's lower case. */
export const TRIGGER_WORDS = [
  'ignore',
  'disregard',
  'forget',
  'bypass',
  'override',
  'previous',
  'prior',
  'above',
  'earlier',
  'instructions',
  'instruction',
  'directions',
  'directives',
  'guidelines',
  'restrictions',
  'rules',
  'prompt',
  'system',
  'reveal',
  'repeat',
  'secret',
  'password',
  'developer',
  'jailbreak',
  'unrestricted',
  'unfiltered',
  'pretend',
  'uncensored',
  'limitations',
  'confidential',
  'verbatim',
] as const;

/**
 * English words within a misspelling of a trigger word (an edit away, or its letters reordered): read as
 * written. The dictionary test lists any word missing here.
 */
const REAL_WORDS = new Set<string>(
  `
  abode abore aboves amove bypast conferential confidentially defections defectives dejections detections
  detectives develop develope developed developers developes developpe developpes develops dictions
  digestions digestives directing direction directional directive directors directrices directrixes
  diremptions discretion discretive disjections disregarded disregarder disregards dissections earlies
  forgat forge forged forger forges forgets forgot forpet gridelins guideline ignored ignorer ignores
  instructing instructional instructive instructor instructors jailbreaks laminations latitations
  levitations limations limitarians limitation limitational litigations luminations overbid overbids
  overbite overbridge overdid overdrive overfine overgive overgrade overidle overlade overlie overlive
  overmine overnice overprice overprize overrake overrate overred overreds overrich overridden overrider
  overriders overrides overrife overripe overripen overrode overrude overrule overside oversides oversize
  overstride overtime overtire overtrade overwide overwise overwrite parecious passport passwords pervious
  pluvious prebend precious prehend prented prepend prescious pretends previews previously previses
  previsors prier prion priors priory prompts protend provirus rales redeal reheat repeal repeats repent
  reseal reseat restricting restriction restrictionism restrictionist restrictives retape retractions
  reveals revel riles roles roules rubes rubles rudes ruled ruler rulers rumes runes ruses screet secreta
  secrete secrets stymes systems unaltered uncensured unconsoled unensured unfettered unfilleted unfostered
  unmitered unrestrictedly unsistered verbalism
  `
    .trim()
    .split(/\s+/),
);

/** Edits (Levenshtein) a misspelling may be from its trigger word: one for short words, two from eight letters on. */
const maxEdits = (word: string) => (word.length >= 8 ? 2 : 1);

const TRIGGERS = new Set<string>(TRIGGER_WORDS);
const byFirstLetter = new Map<string, { word: string; mask: number; letters: string }[]>();
for (const word of TRIGGER_WORDS) {
  const list = byFirstLetter.get(word[0]!) ?? [];
  list.push({ word, mask: letterMask(word), letters: sortedLetters(word) });
  byFirstLetter.set(word[0]!, list);
}

/**
 * The trigger word a token misspells (the nearest, if several), or undefined. The first letter is kept by
 * nearly every misspelling.
 */
export function triggerWordFor(token: string): string | undefined {
  if (token.length < 5 || TRIGGERS.has(token) || REAL_WORDS.has(token)) return undefined;
  const candidates = byFirstLetter.get(token[0]!);
  if (!candidates) return undefined;
  const mask = letterMask(token);
  let nearest: string | undefined;
  let nearestEdits = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const { word } = candidate;
    const edits = maxEdits(word);
    if (Math.abs(word.length - token.length) > edits) continue;
    // Each edit adds at most one letter the other word lacks and takes away at most one: most words are
    // ruled out here, before any distance is computed.
    if (bitCount(mask & ~candidate.mask) > edits || bitCount(candidate.mask & ~mask) > edits) continue;
    // The same letters in another order, the first kept: a scrambled middle ("ignroe") or a swap at either
    // end ("ignoer"), which an edit distance would count as two; it counts as one here.
    const reordered =
      mask === candidate.mask && token.length === word.length && sortedLetters(token) === candidate.letters;
    const found = reordered ? 1 : distance(token, word);
    if (found <= edits && found < nearestEdits) {
      nearest = word;
      nearestEdits = found;
    }
  }
  return nearest;
}

/**
 * The text with misspelled trigger words restored, or the text itself when there are none. Works on the
 * skeleton (lower-case Latin letters), word by word. A word split by hyphens, dots or underscores
 * ("ig-nore", "pre.vious", "in_struc_tions") is read whole when the joined letters are a trigger word or
 * misspell one; otherwise its parts are read one by one, except in identifiers (joined by underscores).
 */
export function restoreTriggerWords(text: string): string {
  return text.replace(/(?<![a-z0-9])(?:[a-z]+(?:[-._][a-z]+)+|[a-z]{5,})(?![a-z0-9])/g, (run) => {
    if (!/[-._]/.test(run)) return triggerWordFor(run) ?? run;
    const joined = run.replace(/[-._]/g, '');
    const whole = TRIGGERS.has(joined) ? joined : triggerWordFor(joined);
    if (whole) return whole;
    if (run.includes('_')) return run;
    return run.replace(/[a-z]{5,}/g, (part) => triggerWordFor(part) ?? part);
  });
}

/** Bit i set when letter a+i occurs (the skeleton's tokens are a-z only). */
function letterMask(word: string): number {
  let mask = 0;
  for (let i = 0; i < word.length; i++) mask |= 1 << (word.charCodeAt(i) - 97);
  return mask;
}

function bitCount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function sortedLetters(word: string): string {
  return word.split('').sort().join('');
}
