/** A worker for in-worker.test.ts: loads nothing, says it is ready, and stops at the first request. */
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage({ kind: 'ready', name: 'stopping' });
parentPort?.once('message', () => process.exit(3));
