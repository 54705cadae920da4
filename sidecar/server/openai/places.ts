import type { InputScanOutcome } from '../../../shared/pipeline/types.ts';
import type { TextSlot } from './input.ts';

/** A text's place in the request, as OpenAI errors name a parameter (`messages[0].content`). */
const placeOf = (slots: readonly TextSlot[], i: number) =>
  i < 0 ? 'request' : (slots[i]?.param ?? `text ${i}`);

/**
 * Names, in the input analysis record, the places each scanner fired (`firedIn`; `request` for a scanner
 * of the whole request), the texts left unjudged (`unjudgedIn`) and those judged after a trusted beginning
 * (`trustedPrefixIn`): the pipeline knows texts by index, the request by parameter.
 */
export function namePlaces(
  outcome: InputScanOutcome,
  slots: readonly TextSlot[],
  texts: readonly string[],
  judgedFrom: readonly number[] | undefined,
): void {
  const fired = Object.entries(outcome.firedAt ?? {});
  if (fired.length > 0) {
    outcome.analysis.firedIn = Object.fromEntries(
      fired.map(([scanner, at]) => [scanner, at.map((i) => placeOf(slots, i))]),
    );
  }
  if (!judgedFrom) return;
  const exempt: string[] = [];
  const prefixed: string[] = [];
  judgedFrom.forEach((from, i) => {
    if (from >= texts[i]!.length) exempt.push(placeOf(slots, i));
    else if (from > 0) prefixed.push(placeOf(slots, i));
  });
  if (exempt.length > 0) outcome.analysis.unjudgedIn = exempt;
  if (prefixed.length > 0) outcome.analysis.trustedPrefixIn = prefixed;
}
