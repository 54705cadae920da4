import { type Cue, scoreCues } from '../text/cues.ts';
import type { Scanner } from '../types.ts';

/**
 * Refusals in a response. Flag-only by design: a refusal is the model doing its job, but a policy author
 * wants to see how often it happens (over-refusal hurts users; a jump can mean an attack campaign).
 */
const re = (s: string) => new RegExp(s, 'gu');
export const REFUSAL_CUES: readonly Cue[] = [
  {
    id: 'refusal',
    re: re(
      "\\b(?:i(?:'m| am) (?:sorry|afraid),? but i (?:can(?:'t|not)|won't|will not|am unable|'m unable|must decline)|i (?:can(?:'t|not)|won't|will not|must decline to|am unable to|'m unable to|am not able to|'m not able to) (?:help|assist|provide|comply|do that|fulfill|answer|create|generate|write|support|engage|share)|i must (?:respectfully )?(?:decline|refuse)|i(?:'m| am) (?:not (?:able|allowed|permitted)|unable) to (?:help|assist|provide|do|answer|share|comply|create|generate|write|fulfill)|(?:that|this) (?:request )?(?:goes|is) against my (?:guidelines|policies|programming|principles)|i don't feel comfortable (?:helping|providing|writing|doing))",
    ),
    weight: 0.9,
  },
  {
    id: 'refusal',
    re: re(
      "\\b(?:as an ai(?: language model)?,? i (?:can(?:'t|not)|don't|do not|am not|won't)|i(?:'m| am) (?:just )?an ai(?: language model)? and (?:can(?:'t|not)|don't))",
    ),
    weight: 0.7,
  },
  {
    id: 'apology',
    re: re("^\\W*(?:i(?:'m| am) (?:so |really |very )?sorry|i apologi[sz]e|unfortunately),?"),
    weight: 0.4,
  },
];

export function noRefusal(): Scanner {
  return { type: 'noRefusal', scan: (text) => scoreCues(text.replace(/’/g, "'"), REFUSAL_CUES) };
}

export function createNoRefusal(): Scanner {
  return noRefusal();
}
