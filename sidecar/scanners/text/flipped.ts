import { TRIGGER_WORDS } from './typos.ts';

/**
 * Readings of text written backwards, so the cues see "ignore all previous instructions" in "erongi lla
 * suoiverp snoitcurtsni" (each word flipped) and in "snoitcurtsni suoiverp lla erongi" (the whole text
 * flipped). Flipping is a published way past keyword filters that a model told to flip the text back still
 * reads (FlipAttack, https://arxiv.org/abs/2410.02832).
 *
 * A text is read backwards only when it holds two trigger words written backwards: benign text rarely holds
 * one ("tpmorp"), so on it the readings cost one scan and nothing more. One flipped word alone is a puzzle,
 * not an instruction.
 */

const flip = (text: string) => Array.from(text).reverse().join('');

const FLIPPED_TRIGGER = new RegExp(`(?<![a-z])(?:${TRIGGER_WORDS.map(flip).join('|')})(?![a-z])`, 'g');

/**
 * Each word flipped in place, then only the flipped trigger words turned round (a few words flipped in plain
 * text), then the whole text flipped; none when the text is not written backwards. A cue that fires on one
 * reading is not tried on the next, so the reading that restores the most comes first.
 */
export function flippedReadings(skeletonText: string): readonly string[] {
  let found = 0;
  FLIPPED_TRIGGER.lastIndex = 0;
  while (found < 2 && FLIPPED_TRIGGER.test(skeletonText)) found++;
  if (found < 2) return [];
  return [
    skeletonText.replace(/[a-z]+/g, flip),
    skeletonText.replace(FLIPPED_TRIGGER, flip),
    flip(skeletonText),
  ];
}
