import type { TextClassifier } from './types.ts';

/**
 * Maps a classifier probability onto the scanners' scale, where 0.5 is "fires at the default threshold":
 * a model that states its own operating threshold t (loadClassifier reads it from config.json) gets t mapped
 * to 0.5, piecewise linearly, so an entry threshold means the same for the shipped models, a bring-your-own
 * model and the heuristics. Without a stated threshold, p is used as is.
 */
export function calibrated(classifier: TextClassifier, p: number): number {
  const t = classifier.threshold;
  if (typeof t !== 'number' || !(t > 0 && t < 1)) return p;
  return p < t ? (0.5 * p) / t : 0.5 + (0.5 * (p - t)) / (1 - t);
}
