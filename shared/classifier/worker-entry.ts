/**
 * The worker thread behind loadInWorker (in-worker.ts): loads one classifier from the entry's params and
 * answers the main thread's classify requests in the order they arrive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ClassifierParams, loadFromParams } from './from-params.ts';
import type { ToMain, ToWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts runs only as a worker thread (see in-worker.ts)');
const post = (message: ToMain) => port.postMessage(message);

try {
  const classifier = await loadFromParams((workerData as { params: ClassifierParams }).params);
  // One message at a time, so that a close waits for the runs asked for before it.
  let queue = Promise.resolve();
  const handle = async (message: ToWorker) => {
    if (message.kind === 'close') {
      await classifier.close();
      port.close();
      return;
    }
    try {
      const scores = await classifier.classify(message.texts);
      const usage = classifier.usage?.();
      post({ kind: 'scores', id: message.id, scores, ...(usage ? { usage } : {}) });
    } catch (err) {
      post({ kind: 'error', id: message.id, message: (err as Error).message });
    }
  };
  port.on('message', (message: ToWorker) => {
    queue = queue.then(() => handle(message));
  });
  const { threshold } = classifier;
  post({ kind: 'ready', name: classifier.name, ...(threshold !== undefined ? { threshold } : {}) });
} catch (err) {
  post({ kind: 'failed', message: (err as Error).message });
  port.close();
}
