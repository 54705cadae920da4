/**
 * A classifier loaded and run in a worker thread. onnxruntime-node runs a session synchronously on the
 * thread that calls it, so a classifier on the guard's main thread stops the whole proxy for every run:
 * other requests, streamed responses and health probes wait 10–50 ms each time a prompt reaches the second
 * model. In a worker the event loop stays free, and inference runs on the other core.
 */
import { siblingModule, startModuleWorker } from '../module-worker.ts';
import type { ClassifierParams } from './from-params.ts';
import type { TextClassifier } from './types.ts';
import type { ToMain, ToWorker } from './worker-protocol.ts';

export interface InWorkerOptions {
  /** The worker's module; tests point it elsewhere. Default: worker-entry beside this file. */
  entry?: URL;
}

export async function loadInWorker(
  params: ClassifierParams,
  options: InWorkerOptions = {},
): Promise<TextClassifier> {
  const worker = startModuleWorker(options.entry ?? siblingModule(import.meta.url, 'worker-entry'), {
    params,
  });
  const pending = new Map<number, { resolve: (s: number[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let stopped: string | undefined;
  let closing: Promise<void> | undefined;

  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let crash: Error | undefined;
  worker.on('error', (err) => {
    crash = err;
  });

  const name = await new Promise<string>((resolve, reject) => {
    const onMessage = (m: ToMain) => {
      if (m.kind === 'ready') resolve(m.name);
      else if (m.kind === 'failed') reject(new Error(m.message));
    };
    worker.on('message', onMessage);
    void exited.then((code) =>
      reject(crash ?? new Error(`classifier worker exited (code ${code}) before its model loaded`)),
    );
  });

  worker.on('message', (m: ToMain) => {
    if (m.kind !== 'scores' && m.kind !== 'error') return;
    const call = pending.get(m.id);
    pending.delete(m.id);
    if (m.kind === 'scores') call?.resolve(m.scores);
    else call?.reject(new Error(m.message));
  });
  void exited.then((code) => {
    stopped ??= `classifier worker ${name} stopped (exit code ${code}${crash ? `: ${crash.message}` : ''})`;
    for (const call of pending.values()) call.reject(new Error(stopped));
    pending.clear();
  });

  const send = (message: ToWorker) => worker.postMessage(message);
  return {
    name,
    classify(texts) {
      if (stopped !== undefined) return Promise.reject(new Error(stopped));
      if (texts.length === 0) return Promise.resolve([]);
      const id = nextId++;
      return new Promise<number[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ kind: 'classify', id, texts });
      });
    },
    failure: () => stopped,
    close() {
      if (!closing) {
        stopped ??= `classifier ${name} is closed`;
        send({ kind: 'close' });
        // A worker that does not wind down (a run stuck in native code) is stopped anyway.
        const timer = setTimeout(() => void worker.terminate(), 5_000);
        closing = exited.then(() => clearTimeout(timer));
      }
      return closing;
    },
  };
}
