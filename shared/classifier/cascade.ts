import { calibrated } from './calibration.ts';
import type { TextClassifier } from './types.ts';

/** The first model's scores (on the scanners' scale, see calibrated()) that the second model re-scores. */
export interface CascadeBand {
  low: number;
  high: number;
}

/**
 * Two models as one classifier: the first (cheap) scores every text, and only the texts it scores inside
 * the band [low, high) go to the second (heavier, more accurate) one, whose score replaces the first's.
 * Clear cases cost one cheap pass, so the expensive model's latency is paid on a fraction of the traffic.
 *
 * Scores come out on the scanners' scale (each model's own threshold maps to 0.5), so the cascade has no
 * threshold of its own and an entry's threshold means the same with or without it.
 */
export function cascadeClassifier(
  first: TextClassifier,
  second: TextClassifier,
  band: CascadeBand,
): TextClassifier {
  if (!(band.low < band.high))
    throw new Error(`cascade band low ${band.low} must be below high ${band.high}`);
  return {
    name: `${first.name}+${second.name}`,
    async classify(texts) {
      const scores = (await first.classify(texts)).map((p) => calibrated(first, p));
      const unsure = scores.flatMap((s, i) => (s >= band.low && s < band.high ? [i] : []));
      if (unsure.length === 0) return scores;
      const rescored = await second.classify(unsure.map((i) => texts[i] as string));
      unsure.forEach((i, k) => {
        scores[i] = calibrated(second, rescored[k] as number);
      });
      return scores;
    },
    async close() {
      await Promise.all([first.close(), second.close()]);
    },
  };
}
