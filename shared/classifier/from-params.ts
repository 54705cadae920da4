/**
 * A policy entry's `params.classifier` to a loaded classifier. The runtime modules are imported on first
 * use so that whoever imports this (the policy compiler's loader plumbing) does not pull in onnxruntime.
 */
import type { ScannerEntry } from '../../api/v1alpha1/index.ts';
import type { TextClassifier } from './types.ts';

export type ClassifierParams = NonNullable<NonNullable<ScannerEntry['params']>['classifier']>;

/**
 * The entry's modelPath (bring your own) or the shipped default model, and with `cascade` a second model
 * (default: the shipped second-stage model) for the first one's unsure band.
 */
export async function loadFromParams(params: ClassifierParams): Promise<TextClassifier> {
  const { loadClassifier, DEFAULT_MODEL_DIR, DEFAULT_CASCADE_MODEL_DIR } = await import('./index.ts');
  const options = (
    p: Omit<ClassifierParams, 'enabled' | 'cascade' | 'scoreCacheEntries'>,
    defaultDir: string,
  ) => ({
    modelDir: p.modelPath ?? defaultDir,
    ...(p.maliciousLabels ? { labels: { malicious: p.maliciousLabels } } : {}),
    ...(p.maxTokens !== undefined ? { maxLength: p.maxTokens } : {}),
    ...(p.strideTokens !== undefined ? { stride: p.strideTokens } : {}),
    ...(p.maxWindows !== undefined ? { maxWindows: p.maxWindows } : {}),
    ...(p.threads !== undefined ? { intraOpThreads: p.threads } : {}),
  });
  const first = await loadClassifier(options(params, DEFAULT_MODEL_DIR));
  if (!params.cascade) return first;
  let second: TextClassifier;
  try {
    second = await loadClassifier(options(params.cascade, DEFAULT_CASCADE_MODEL_DIR));
  } catch (err) {
    await first.close();
    throw err;
  }
  const { cascadeClassifier } = await import('./cascade.ts');
  return cascadeClassifier(first, second, params.cascade.band, {
    ...(params.cascade.focusWindows !== undefined ? { focusWindows: params.cascade.focusWindows } : {}),
  });
}
