/** Messages between loadInWorker (main thread) and worker-entry.ts. */
import type { ClassifierUsage } from './types.ts';

export type ToWorker = { kind: 'classify'; id: number; texts: readonly string[] } | { kind: 'close' };

export type ToMain =
  | { kind: 'ready'; name: string; threshold?: number }
  | { kind: 'failed'; message: string }
  /** usage: the worker's classifier's counts so far, when it keeps them. */
  | { kind: 'scores'; id: number; scores: number[]; usage?: ClassifierUsage }
  | { kind: 'error'; id: number; message: string };
