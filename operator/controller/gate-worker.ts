// Runs one policy check (compile or dataset gate) in a worker thread, so the scanner pipeline's
// modules and tables (tokenizers, language profiles, classifiers) leave the operator's memory with the
// worker. See gate.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { compileInProcess, gateInProcess } from './gate.ts';

const task = workerData as { kind: 'compile' | 'gate'; spec: never; dataset?: string };
try {
  const value =
    task.kind === 'compile'
      ? await compileInProcess(task.spec)
      : await gateInProcess(task.spec, task.dataset ?? '');
  parentPort?.postMessage({ ok: true, value: value ?? null });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
