import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { TextClassifier } from '../../../shared/classifier/types.ts';
import { classifierScore } from '../classifierScore.ts';
import { scoreCues } from '../text/cues.ts';
import type { Scanner, ScannerDeps, ScanResult } from '../types.ts';
import { INJECTION_CUES } from './cues.ts';

export { INJECTION_CUES };

/** Heuristic prompt-injection score of one text (also used by the encoding scanner on decoded payloads). */
export function injectionHeuristics(text: string): ScanResult {
  return scoreCues(text, INJECTION_CUES);
}

/** True when the entry asks for the ONNX classifier (params.classifier present and not disabled). */
export function wantsClassifier(entry: Pick<ScannerEntry, 'params'>): boolean {
  const c = entry.params?.classifier;
  return c !== undefined && c.enabled !== false;
}

type ClassifierParams = NonNullable<NonNullable<ScannerEntry['params']>['classifier']>;

/**
 * Identity of the model an entry asks for: entries that name the same model directory, labels, window
 * and cascade share one loaded classifier. The default model has no modelPath.
 */
export function classifierKey(params: ClassifierParams): string {
  const model = (p: Omit<ClassifierParams, 'enabled' | 'cascade' | 'scoreCacheEntries'>) => [
    p.modelPath ?? null,
    p.maliciousLabels ?? null,
    p.maxTokens ?? null,
    p.strideTokens ?? null,
    p.maxWindows ?? null,
    p.threads ?? null,
  ];
  const { cascade } = params;
  return JSON.stringify([
    ...model(params),
    ...(cascade
      ? [[...model(cascade), cascade.band.low, cascade.band.high, cascade.focusWindows ?? null]]
      : []),
    ...(params.scoreCacheEntries !== undefined ? [{ scoreCacheEntries: params.scoreCacheEntries }] : []),
  ]);
}

/** The classifier this entry should use, or undefined (not asked for, or not loaded). */
export function classifierFor(
  entry: Pick<ScannerEntry, 'params'>,
  deps: ScannerDeps,
): TextClassifier | undefined {
  const params = entry.params?.classifier;
  if (!params || params.enabled === false) return undefined;
  return deps.classifiers ? deps.classifiers.get(classifierKey(params)) : deps.classifier;
}

export interface PromptInjectionOptions {
  /** Scores texts; when absent the scanner runs on heuristics alone. */
  classifier?: TextClassifier | undefined;
}

/**
 * Heuristics and classifier are combined with max, not an average: the cues are precise (when one fires
 * it should not be voted down by a model that was fooled by obfuscation the skeleton undid), and the
 * classifier catches paraphrases no cue names. Max keeps each detector's recall; the price is that their
 * false positives add up, which is why each cue needs the trigger word together with its object.
 */
export function promptInjection(options: PromptInjectionOptions = {}): Scanner {
  const { classifier } = options;
  return {
    type: 'promptInjection',
    async scan(text) {
      const heuristic = injectionHeuristics(text);
      if (!classifier || text.trim() === '') return heuristic;
      const p = await classifierScore(classifier, text);
      if (p <= heuristic.score) return heuristic;
      return {
        score: p,
        findings: [
          ...heuristic.findings,
          { start: 0, end: text.length, kind: `classifier:${classifier.name}` },
        ],
      };
    },
  };
}

export function createPromptInjection(entry: ScannerEntry, deps: ScannerDeps): Scanner {
  return promptInjection({ classifier: classifierFor(entry, deps) });
}
