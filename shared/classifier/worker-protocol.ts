/** Messages between loadInWorker (main thread) and worker-entry.ts. */

export type ToWorker = { kind: 'classify'; id: number; texts: readonly string[] } | { kind: 'close' };

export type ToMain =
  | { kind: 'ready'; name: string }
  | { kind: 'failed'; message: string }
  | { kind: 'scores'; id: number; scores: number[] }
  | { kind: 'error'; id: number; message: string };
