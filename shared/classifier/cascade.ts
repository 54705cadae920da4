import { calibrated } from './calibration.ts';
import type { TextClassifier, TextWindow } from './types.ts';

/** The first model's scores (on the scanners' scale, see calibrated()) that the second model re-scores. */
export interface CascadeBand {
  low: number;
  high: number;
}

export interface CascadeOptions {
  /**
   * Re-score at most this many of the second model's windows per text: the ones the first model scores
   * highest. Bounds the second model's cost on long prompts by where an attack is likely to sit rather than
   * by position. Default: the second model's own windows.
   */
  focusWindows?: number;
}

/**
 * Windows the first model ranks for focusWindows, at most (evenly spaced beyond that, about 8,000 tokens);
 * ranking costs the cheap model about 0.3 ms per window.
 */
const MAX_RANKED_WINDOWS = 64;

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
  options: CascadeOptions = {},
): TextClassifier {
  if (!(band.low < band.high))
    throw new Error(`cascade band low ${band.low} must be below high ${band.high}`);
  const focus = options.focusWindows;
  if (focus !== undefined && (!Number.isInteger(focus) || focus < 1)) {
    throw new Error(`cascade focusWindows must be a positive integer, got ${focus}`);
  }
  const { windowsOf, classifyWindows } = second;
  if (focus !== undefined && !(windowsOf && classifyWindows)) {
    throw new Error(`cascade focusWindows needs a second model that exposes its windows (${second.name})`);
  }

  /** The second model's P(malicious) over the `focus` windows of a text the first model scores highest. */
  async function focusedScore(text: string, focus: number): Promise<number> {
    if (!windowsOf || !classifyWindows) throw new Error('unreachable: checked above');
    const windows = windowsOf.call(second, text, MAX_RANKED_WINDOWS);
    let chosen = windows;
    if (windows.length > focus) {
      const ranks = await first.classify(windows.map((w) => w.text));
      chosen = ranks
        .map((score, i) => ({ score, i }))
        .sort((a, b) => b.score - a.score || a.i - b.i)
        .slice(0, focus)
        .sort((a, b) => a.i - b.i)
        .map((r) => windows[r.i] as TextWindow);
    }
    return Math.max(...(await classifyWindows.call(second, chosen)));
  }

  const usage = { scored: 0, secondStage: 0, cached: 0 };
  return {
    name: `${first.name}+${second.name}`,
    async classify(texts) {
      const scores = (await first.classify(texts)).map((p) => calibrated(first, p));
      const unsure = scores.flatMap((s, i) => (s >= band.low && s < band.high ? [i] : []));
      usage.scored += texts.length;
      usage.secondStage += unsure.length;
      if (unsure.length === 0) return scores;
      if (focus === undefined) {
        const rescored = await second.classify(unsure.map((i) => texts[i] as string));
        unsure.forEach((i, k) => {
          scores[i] = calibrated(second, rescored[k] as number);
        });
      } else {
        for (const i of unsure) scores[i] = calibrated(second, await focusedScore(texts[i] as string, focus));
      }
      return scores;
    },
    usage: () => ({ ...usage }),
    async close() {
      await Promise.all([first.close(), second.close()]);
    },
  };
}
