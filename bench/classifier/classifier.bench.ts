/**
 * Classifier latency and memory (method and figures: METHOD.md).
 *
 *   node --import tsx bench/classifier/classifier.bench.ts [--model-dir DIR] [--iterations N]
 *        [--threads N] [--json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { DEFAULT_MODEL_DIR, loadClassifier } from '../../shared/classifier/index.ts';
import { percentile } from '../../shared/eval/index.ts';
import { promptOf } from './prompts.ts';

const MiB = 1024 * 1024;
const rss = () => process.memoryUsage().rss / MiB;

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  /** Process CPU time (all threads, spin-waiting included) per call. */
  cpuMean: number;
}

async function time(iterations: number, warmup: number, fn: () => unknown): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  ms.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
    mean: round(ms.reduce((a, b) => a + b, 0) / ms.length),
    cpuMean: round((cpu.user + cpu.system) / 1000 / iterations),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'model-dir': { type: 'string', default: DEFAULT_MODEL_DIR },
      iterations: { type: 'string', default: '2000' },
      threads: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const modelDir = path.resolve(values['model-dir'] as string);
  const iterations = Number(values.iterations);
  const warmup = Math.min(500, iterations);
  global.gc?.();
  const rssBefore = rss();
  const t0 = performance.now();
  const clf = await loadClassifier({ modelDir, intraOpThreads: Number(values.threads) });
  const loadMs = performance.now() - t0;
  const rssLoaded = rss();

  const tok = new Tokenizer(JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')), {});
  const sizes = [100, 512, 2048];
  const rows: Record<string, { classify: Stats; tokenizeOnly: Stats; windows: number }> = {};
  for (const n of sizes) {
    const text = promptOf(tok, n);
    rows[`${n} tokens`] = {
      classify: await time(iterations, warmup, () => clf.classify([text])),
      tokenizeOnly: await time(iterations, warmup, () => tok.encode(text, { add_special_tokens: false })),
      windows: Math.min(
        n <= clf.maxLength ? 1 : 1 + Math.ceil((n - clf.maxLength) / clf.stride),
        clf.maxWindows ?? Number.POSITIVE_INFINITY,
      ),
    };
  }
  const batch = sizes.map((n) => promptOf(tok, n === 2048 ? 512 : n));
  const batchStats = await time(Math.ceil(iterations / 4), Math.ceil(warmup / 4), () =>
    clf.classify([...batch, ...batch, ...batch]),
  );
  const rssAfter = rss();
  await clf.close();

  const result = {
    model: clf.name,
    node: process.version,
    iterations,
    intraOpThreads: Number(values.threads),
    loadMs: Math.round(loadMs),
    rssMiB: {
      beforeLoad: Math.round(rssBefore),
      afterLoad: Math.round(rssLoaded),
      afterRuns: Math.round(rssAfter),
    },
    latencyMs: rows,
    batchOf9Ms: batchStats,
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `${clf.name}: load ${result.loadMs} ms, ${iterations} iterations, ${result.intraOpThreads} thread(s)`,
  );
  console.log('prompt        windows  classify p50 / p99 / mean / CPU ms   tokenize-only p50 / p99 ms');
  for (const [k, r] of Object.entries(rows)) {
    const c = r.classify;
    console.log(
      `${k.padEnd(13)} ${String(r.windows).padStart(7)}  ${c.p50.toFixed(3)} / ${c.p99.toFixed(3)} / ${c.mean.toFixed(3)} / ${c.cpuMean.toFixed(3)}` +
        `            ${r.tokenizeOnly.p50.toFixed(3)} / ${r.tokenizeOnly.p99.toFixed(3)}`,
    );
  }
  console.log(
    `batch of 9 (3 x 100/512/512 tokens): p50 ${batchStats.p50.toFixed(3)} ms, p99 ${batchStats.p99.toFixed(3)} ms`,
  );
  console.log(
    `RSS: ${result.rssMiB.beforeLoad} MiB before load, ${result.rssMiB.afterLoad} MiB loaded, ` +
      `${result.rssMiB.afterRuns} MiB after the runs`,
  );
}

await main();
