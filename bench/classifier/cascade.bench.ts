/**
 * The default policy's classifier cascade on a realistic mix: latency per prompt over the validation split's
 * texts, how many the second model sees, and memory with both models loaded (method: METHOD.md).
 *
 *   node --import tsx bench/classifier/cascade.bench.ts [--policy FILE] [--dataset FILE.jsonl] [--split NAME]
 *        [--json]
 *
 * --policy: another policy's promptInjection cascade (default policies/default.yaml), e.g. with threads.
 * --iterations: timed calls per fixed-size prompt on the slow path (default 300).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { calibrated } from '../../shared/classifier/calibration.ts';
import { cascadeClassifier } from '../../shared/classifier/cascade.ts';
import { DEFAULT_CASCADE_MODEL_DIR } from '../../shared/classifier/index.ts';
import { percentile } from '../../shared/eval/index.ts';
import { loadFromParams } from '../../shared/pipeline/classifiers.ts';
import { promptOf } from './prompts.ts';
import { readWorkload, workloadOptions } from './workload.ts';

const MiB = 1024 * 1024;
const rss = () => Math.round(process.memoryUsage().rss / MiB);

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: ms.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    mean: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length)),
  };
}

async function timeEach(texts: readonly string[], fn: (t: string) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (const t of texts) {
    const t0 = performance.now();
    await fn(t);
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...workloadOptions,
      iterations: { type: 'string', default: '300' },
      json: { type: 'boolean', default: false },
    },
  });
  const { params, texts } = readWorkload(values);
  if (!params.cascade) throw new Error(`${values.policy}: promptInjection has no classifier cascade`);

  const rssBefore = rss();
  const cascade = await loadFromParams(params);
  const rssLoaded = rss();
  // The stages on their own, to say which texts fall in the band and what each stage costs.
  const { cascade: stage2, ...stage1 } = params;
  const { band, focusWindows, ...stage2Model } = stage2;
  const first = await loadFromParams(stage1);
  const second = await loadFromParams({
    enabled: true,
    ...stage2Model,
    modelPath: stage2Model.modelPath ?? DEFAULT_CASCADE_MODEL_DIR,
  });
  const { low, high } = band;
  const firstScores = (await first.classify(texts)).map((p) => calibrated(first, p));
  const inBand = texts.filter(
    (_, i) => (firstScores[i] as number) >= low && (firstScores[i] as number) < high,
  );

  // The slow path alone: every text forced through the second stage, as a prompt in the band is, on the
  // fixed prompts the target names (token counts of the second model's tokenizer).
  const slowPath = cascadeClassifier(
    first,
    second,
    { low: 0, high: Number.POSITIVE_INFINITY },
    {
      ...(focusWindows !== undefined ? { focusWindows } : {}),
    },
  );
  const secondDir = stage2Model.modelPath ?? DEFAULT_CASCADE_MODEL_DIR;
  const tok = new Tokenizer(JSON.parse(readFileSync(path.join(secondDir, 'tokenizer.json'), 'utf8')), {});
  const iterations = Number(values.iterations);
  const slowPathMs: Record<string, ReturnType<typeof stats>> = {};
  for (const n of [100, 512, 2048]) {
    const text = promptOf(tok, n);
    for (let i = 0; i < 20; i++) await slowPath.classify([text]);
    slowPathMs[`${n} tokens`] = stats(
      await timeEach(Array(iterations).fill(text), (t) => slowPath.classify([t])),
    );
  }

  const warm = texts.slice(0, 50);
  for (const t of warm) await cascade.classify([t]);
  const all = await timeEach(texts, (t) => cascade.classify([t]));
  const result = {
    models: cascade.name,
    band,
    intraOpThreads: { first: stage1.threads ?? 1, second: stage2Model.threads ?? 1 },
    focusWindows: focusWindows ?? null,
    texts: texts.length,
    secondStageShare: Math.round((inBand.length / texts.length) * 1000) / 1000,
    cascadeMs: stats(all),
    firstStageMs: stats(await timeEach(texts, (t) => first.classify([t]))),
    secondStageOnBandMs: stats(await timeEach(inBand, (t) => second.classify([t]))),
    secondStageOnAllMs: stats(await timeEach(texts, (t) => second.classify([t]))),
    slowPathMs,
    rssMiB: { beforeLoad: rssBefore, cascadeLoaded: rssLoaded, afterRuns: rss() },
  };
  await Promise.all([cascade.close(), first.close(), second.close()]);
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const line = (name: string, s: ReturnType<typeof stats>) =>
    console.log(
      `${name.padEnd(28)} n ${String(s.n).padStart(5)}  p50 ${s.p50.toFixed(2)}  p90 ${s.p90.toFixed(2)}  ` +
        `p99 ${s.p99.toFixed(2)}  mean ${s.mean.toFixed(2)} ms`,
    );
  console.log(
    `${result.models} (threads ${result.intraOpThreads.first} + ${result.intraOpThreads.second}), ` +
      `band [${low}, ${high}): ${inBand.length} of ${texts.length} texts ` +
      `(${(result.secondStageShare * 100).toFixed(1)}%) go to the second model` +
      (focusWindows !== undefined ? `, at most ${focusWindows} focus windows each` : ''),
  );
  line('cascade, every text', result.cascadeMs);
  line('first stage alone', result.firstStageMs);
  line('second stage, band texts', result.secondStageOnBandMs);
  line('second stage, every text', result.secondStageOnAllMs);
  for (const [k, v] of Object.entries(slowPathMs)) line(`slow path, ${k}`, v);
  console.log(
    `RSS: ${result.rssMiB.beforeLoad} MiB before, ${result.rssMiB.cascadeLoaded} MiB with the cascade loaded, ` +
      `${result.rssMiB.afterRuns} MiB after the runs (the stages were also loaded separately for the breakdown)`,
  );
}

await main();
