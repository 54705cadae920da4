/**
 * A classifier loaded and run in a worker thread. onnxruntime-node runs a session synchronously on the
 * thread that calls it, so a classifier on the guard's main thread stops the whole proxy for every run:
 * other requests, streamed responses and health probes wait 10–50 ms each time a prompt reaches the second
 * model. In a worker the event loop stays free, and inference runs on the other core.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../module-worker.ts';
import type { ClassifierParams } from './from-params.ts';
import type { ClassifierUsage, TextClassifier } from './types.ts';
import type { ToMain, ToWorker } from './worker-protocol.ts';

export interface InWorkerOptions {
  /** The worker's module; tests point it elsewhere. Default: worker-entry beside this file. */
  entry?: URL;
  /** Told when a worker stops on its own, before another is started (the guard logs it). */
  onStop?: (reason: string) => void;
}

interface Call {
  resolve: (scores: number[]) => void;
  reject: (err: Error) => void;
}

/** One started worker with its model loaded, and the calls it has not answered yet. */
interface Running {
  worker: Worker;
  name: string;
  threshold?: number;
  pending: Map<number, Call>;
  exited: Promise<number>;
  /** Its classifier's counts as of its last answer. */
  usage?: ClassifierUsage;
}

/** Starts a worker and waits for its model; rejects with the loader's own message if it cannot load. */
function start(
  entry: URL,
  params: ClassifierParams,
  onExit: (r: Running, why: string) => void,
): Promise<Running> {
  const worker = startModuleWorker(entry, { params });
  let crash: Error | undefined;
  worker.on('error', (err) => {
    crash = err;
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return new Promise<Running>((resolve, reject) => {
    const running: Running = { worker, name: '', pending: new Map(), exited };
    worker.on('message', (m: ToMain) => {
      if (m.kind === 'ready') {
        running.name = m.name;
        if (m.threshold !== undefined) running.threshold = m.threshold;
        resolve(running);
      } else if (m.kind === 'failed') {
        reject(new Error(m.message));
      } else {
        const call = running.pending.get(m.id);
        running.pending.delete(m.id);
        if (m.kind === 'scores') {
          if (m.usage) running.usage = m.usage;
          call?.resolve(m.scores);
        } else call?.reject(new Error(m.message));
      }
    });
    void exited.then((code) => {
      const why = `exit code ${code}${crash ? `: ${crash.message}` : ''}`;
      reject(crash ?? new Error(`classifier worker exited (${why}) before its model loaded`));
      onExit(running, why);
    });
  });
}

/**
 * Loads the classifier `params` describe in a worker. A worker that stops on its own (out of memory, say)
 * fails the calls it had not answered, as any scanner failure does (closed), and is started again; calls
 * made meanwhile wait for it. If it cannot start again, every later call fails and failure() says why.
 */
export async function loadInWorker(
  params: ClassifierParams,
  options: InWorkerOptions = {},
): Promise<TextClassifier> {
  const entry = options.entry ?? siblingModule(import.meta.url, 'worker-entry');
  let stopped: string | undefined;
  let restarting: string | undefined;
  let closing: Promise<void> | undefined;
  let nextId = 0;
  let live: Running | undefined;
  // What calls wait for: the worker in service, or the one starting in its place.
  let current: Promise<Running>;
  // Counts of the workers that stopped, so a restart does not lose what they did.
  const retired: ClassifierUsage = { scored: 0, secondStage: 0, cached: 0 };
  const onExit = (r: Running, why: string) => {
    for (const k of ['scored', 'secondStage', 'cached'] as const) retired[k] += r.usage?.[k] ?? 0;
    r.usage = undefined;
    const reason = `classifier worker ${r.name} stopped (${why})`;
    for (const call of r.pending.values()) call.reject(new Error(stopped ?? reason));
    r.pending.clear();
    if (r !== live || closing) return;
    live = undefined;
    restarting = reason;
    options.onStop?.(reason);
    current = start(entry, params, onExit).then(
      (next) => {
        live = next;
        restarting = undefined;
        return next;
      },
      (err: Error) => {
        stopped = `${reason}; starting it again failed: ${err.message}`;
        throw new Error(stopped);
      },
    );
    current.catch(() => {});
  };
  const first = await start(entry, params, onExit);
  live = first;
  current = Promise.resolve(first);

  return {
    name: first.name,
    threshold: first.threshold,
    async classify(texts) {
      if (stopped !== undefined) throw new Error(stopped);
      if (texts.length === 0) return [];
      const running = await current;
      const id = nextId++;
      return new Promise<number[]>((resolve, reject) => {
        running.pending.set(id, { resolve, reject });
        running.worker.postMessage({ kind: 'classify', id, texts } satisfies ToWorker);
      });
    },
    failure: () => stopped ?? restarting,
    usage: () => ({
      scored: retired.scored + (live?.usage?.scored ?? 0),
      secondStage: retired.secondStage + (live?.usage?.secondStage ?? 0),
      cached: retired.cached + (live?.usage?.cached ?? 0),
    }),
    close() {
      if (!closing) {
        stopped ??= `classifier ${first.name} is closed`;
        closing = current.then(
          async (r) => {
            r.worker.postMessage({ kind: 'close' } satisfies ToWorker);
            // A worker that does not wind down (a run stuck in native code) is stopped anyway.
            const timer = setTimeout(() => void r.worker.terminate(), 5_000);
            await r.exited;
            clearTimeout(timer);
          },
          () => {},
        );
      }
      return closing;
    },
  };
}
