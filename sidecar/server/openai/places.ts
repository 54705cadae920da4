import type { InputScanOutcome } from '../../../shared/pipeline/types.ts';
import type { TextSlot } from './input.ts';

/** A text's place in the request, as OpenAI errors name a parameter (`messages[0].content`). */
const placeOf = (slots: readonly TextSlot[], i: number) =>
  i < 0 ? 'request' : (slots[i]?.param ?? `text ${i}`);

/**
 * Names, in the input analysis record, the places each scanner fired (`firedIn`; `request` for a scanner
 * of the whole request) and the texts left unjudged (`unjudgedIn`): the pipeline knows texts by index, the
 * request by parameter.
 */
export function namePlaces(
  outcome: InputScanOutcome,
  slots: readonly TextSlot[],
  unjudged: readonly boolean[] | undefined,
): void {
  const fired = Object.entries(outcome.firedAt ?? {});
  if (fired.length > 0) {
    outcome.analysis.firedIn = Object.fromEntries(
      fired.map(([scanner, at]) => [scanner, at.map((i) => placeOf(slots, i))]),
    );
  }
  const exempt = unjudged?.flatMap((skip, i) => (skip ? [placeOf(slots, i)] : [])) ?? [];
  if (exempt.length > 0) outcome.analysis.unjudgedIn = exempt;
}
