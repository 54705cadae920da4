/**
 * What running the classifier in a worker thread (shared/classifier/in-worker.ts, as the guard does) costs
 * per prompt and what it saves the rest of the process: the event loop's delay while prompts are scored,
 * which every other request and stream of the guard waits out (method: METHOD.md).
 *
 *   node --import tsx bench/classifier/worker.bench.ts [--policy FILE] [--dataset FILE.jsonl] [--split NAME]
 *        [--rounds N] [--json]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadFromParams } from '../../shared/classifier/from-params.ts';
import { loadInWorker } from '../../shared/classifier/in-worker.ts';
import type { TextClassifier } from '../../shared/classifier/types.ts';
import { percentile } from '../../shared/eval/index.ts';
import { readWorkload, workloadOptions } from './workload.ts';

const MiB = 1024 * 1024;
const rss = () => Math.round(process.memoryUsage().rss / MiB);
const round = (x: number) => Math.round(x * 100) / 100;

interface Pass {
  callMs: { p50: number; p99: number; mean: number };
  /** Lateness of the event loop (1 ms timer) while the texts were scored. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

async function pass(c: TextClassifier, texts: readonly string[]): Promise<Pass> {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const ms: number[] = [];
  eld.enable();
  for (const t of texts) {
    const t0 = performance.now();
    await c.classify([t]);
    ms.push(performance.now() - t0);
  }
  eld.disable();
  const sorted = ms.sort((a, b) => a - b);
  // The histogram counts the 1 ms timer's own period; lateness is what is left over.
  const late = (ns: number) => round(Math.max(0, ns / 1e6 - 1));
  return {
    callMs: {
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      mean: round(ms.reduce((a, b) => a + b, 0) / ms.length),
    },
    eventLoopDelayMs: { p50: late(eld.percentile(50)), p99: late(eld.percentile(99)), max: late(eld.max) },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...workloadOptions,
      rounds: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const { params, texts } = readWorkload(values);

  const rssBefore = rss();
  const inWorker = await loadInWorker(params);
  const rssWorker = rss();
  const onMain = await loadFromParams(params);
  const rssBoth = rss();
  for (const c of [inWorker, onMain]) for (const t of texts.slice(0, 50)) await c.classify([t]);

  // Alternated, so that a noisy neighbour affects both about equally.
  const runs: Record<'mainThread' | 'worker', Pass[]> = { mainThread: [], worker: [] };
  for (let r = 0; r < Number(values.rounds); r++) {
    runs.mainThread.push(await pass(onMain, texts));
    runs.worker.push(await pass(inWorker, texts));
  }
  await Promise.all([inWorker.close(), onMain.close()]);
  const result = {
    models: inWorker.name,
    texts: texts.length,
    runs,
    rssMiB: { beforeLoad: rssBefore, workerLoaded: rssWorker, bothLoaded: rssBoth },
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `${result.models}, ${texts.length} texts one after another, ${values.rounds} rounds alternated`,
  );
  for (const [mode, passes] of Object.entries(runs)) {
    for (const p of passes) {
      console.log(
        `${mode.padEnd(11)} call p50 ${p.callMs.p50} p99 ${p.callMs.p99} mean ${p.callMs.mean} ms | ` +
          `event loop delay p50 ${p.eventLoopDelayMs.p50} p99 ${p.eventLoopDelayMs.p99} max ${p.eventLoopDelayMs.max} ms`,
      );
    }
  }
  console.log(
    `RSS: ${rssBefore} MiB before, ${rssWorker} MiB with the worker's classifier, ${rssBoth} MiB with the main thread's too`,
  );
}

await main();
