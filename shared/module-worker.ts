/**
 * Worker threads that run one of this project's modules, from dist/ (the images) or from a source checkout.
 * From sources the modules are TypeScript run through tsx, which a worker does not inherit on Node 20
 * (neither --import nor module.register() hooks reach worker threads), so the worker registers tsx first.
 */
import { Worker } from 'node:worker_threads';
// Set on the thread that starts workers: a worker's process.env is a copy, while onnxruntime, which the
// classifier's and the operator's policy-check workers load, reads the process's own environment.
import './classifier/no-telemetry.ts';

/** The module `basename` beside the caller, in the caller's own form (.ts from sources, .js compiled). */
export function siblingModule(callerUrl: string, basename: string): URL {
  return new URL(`./${basename}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  // The process's own flags (e.g. --input-type, --test) are not the worker's business.
  const options = { workerData, execArgv: [] };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
