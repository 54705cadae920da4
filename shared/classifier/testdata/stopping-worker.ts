/**
 * A worker for in-worker.test.ts. Scores every text 0, counting each as a second-stage text, and stops
 * (exit code 3) when asked to score "crash".
 * It refuses to start once the file named by the entry's modelPath exists, so a test can make a restart fail.
 */
import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
const marker = (workerData as { params: { modelPath?: string } }).params.modelPath;
if (marker && existsSync(marker)) {
  port?.postMessage({ kind: 'failed', message: `${marker} exists` });
  port?.close();
} else {
  port?.postMessage({ kind: 'ready', name: 'stopping' });
  let scored = 0;
  port?.on('message', (m: { kind: string; id: number; texts: string[] }) => {
    if (m.kind === 'close') port.close();
    else if (m.texts.includes('crash')) process.exit(3);
    else {
      scored += m.texts.length;
      const usage = { scored, secondStage: scored, cached: 0 };
      port.postMessage({ kind: 'scores', id: m.id, scores: m.texts.map(() => 0), usage });
    }
  });
}
