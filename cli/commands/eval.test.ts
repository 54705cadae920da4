import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Figures } from '../../shared/eval/index.ts';
import { main } from '../main.ts';
import { defaultPolicyFigures } from './eval.ts';

const testdata = (name: string) =>
  fileURLToPath(new URL(`../../shared/eval/testdata/${name}`, import.meta.url));

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = mock.method(console, 'log', (...a: unknown[]) => out.push(a.join(' ')));
  const error = mock.method(console, 'error', (...a: unknown[]) => err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

describe('bulwark eval', () => {
  it('--json prints the figures of the fixture dataset', async () => {
    const r = await capture([
      'eval',
      '--policy',
      testdata('policy.yaml'),
      '--dataset',
      testdata('fixture.jsonl'),
      '--split',
      'validation',
      '--json',
    ]);
    assert.equal(r.code, 0);
    const f = JSON.parse(r.out);
    assert.deepEqual(Object.keys(f), [
      'n',
      'tpr',
      'fpr',
      'precision',
      'f1',
      'byLabel',
      'bySource',
      'latencyMs',
    ]);
    assert.deepEqual([f.n, f.tpr, f.fpr, f.precision], [10, 3 / 5, 1 / 5, 3 / 4]);
  });

  it('gates on --min-tpr / --max-fpr with exit code 1', async () => {
    const args = [
      'eval',
      '--policy',
      testdata('policy.yaml'),
      '--dataset',
      testdata('fixture.jsonl'),
      '--split',
      'validation',
    ];
    assert.equal((await capture([...args, '--min-tpr', '0.6'])).code, 0);
    assert.equal((await capture([...args, '--min-tpr', '0.61'])).code, 1);
    assert.equal((await capture([...args, '--max-fpr', '0.1'])).code, 1);
  });

  it('prints a readable report by default', async () => {
    const r = await capture([
      'eval',
      '--policy',
      testdata('policy.yaml'),
      '--dataset',
      testdata('fixture.jsonl'),
    ]);
    assert.match(r.out, /^rows 11 {3}TPR 66\.7% {3}FPR 20\.0%/);
    assert.match(r.out, /hand\/a\n {6}injection 3\/3 \(100\.0%\) {3}benign 0\/2 \(0\.0%\)/);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await capture(['eval'])).code, 2);
    assert.equal(
      (await capture(['eval', '--dataset', testdata('fixture.jsonl'), '--classifier', 'maybe'])).code,
      2,
    );
  });
});

const DATASET = new URL('../../../shared/datasets/all.jsonl', import.meta.url);

/**
 * Rows whose verdict may differ between CPU types. The second model's integer arithmetic is exact on every
 * CPU, but the float operations around it run other kernels on AVX2 and AVX-512 machines and its scores move
 * a little: on an AMD EPYC (AVX2 only) one of the external check's 2,916 rows was judged otherwise than on the
 * AVX-512 machine that recorded the figures. The price: a change that moves two rows or fewer passes here.
 */
const CROSS_CPU_ROWS = 2;

/** The same rows in every cell, and at most CROSS_CPU_ROWS of them judged otherwise than recorded. */
function assertFiguresMatch(
  computed: Omit<Figures, 'latencyMs'>,
  recorded: Omit<Figures, 'latencyMs'>,
  hint: string,
) {
  const cells = (f: Omit<Figures, 'latencyMs'>) =>
    Object.entries(f.bySource).flatMap(([source, byLabel]) =>
      Object.entries(byLabel).map(([label, cell]) => [`${source} ${label}`, cell] as const),
    );
  const got = new Map(cells(computed));
  const want = new Map(cells(recorded));
  assert.deepEqual(
    [...got].map(([k, c]) => [k, c.n]),
    [...want].map(([k, c]) => [k, c.n]),
    `${hint}: the rows changed`,
  );
  const moved = [...got].filter(([k, c]) => c.blocked !== want.get(k)?.blocked);
  const rows = moved.reduce((sum, [k, c]) => sum + Math.abs(c.blocked - (want.get(k)?.blocked ?? 0)), 0);
  assert.ok(
    rows <= CROSS_CPU_ROWS,
    `${hint}: ${rows} rows judged otherwise (${moved
      .map(([k, c]) => `${k}: ${c.blocked} blocked, recorded ${want.get(k)?.blocked}`)
      .join('; ')})`,
  );
}

describe('the default policy figures the model card reports', () => {
  it('policies/default.eval.json and MODEL_CARD.md match what the code computes (make policy-eval)', {
    skip: !existsSync(DATASET) && 'shared/datasets/all.jsonl not present beside the repository',
  }, async () => {
    const recorded = JSON.parse(
      readFileSync(new URL('../../policies/default.eval.json', import.meta.url), 'utf8'),
    );
    const figures = await defaultPolicyFigures(readFileSync(DATASET, 'utf8'));
    assertFiguresMatch(
      figures,
      recorded,
      'a scanner, the policy or the model changed: run `make policy-eval`',
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    // Both stages of the default cascade report the policy's figures.
    for (const model of ['bulwark-injection-ngram-v1', 'bulwark-injection-minilm-v1']) {
      const card = readFileSync(new URL(`../../models/${model}/MODEL_CARD.md`, import.meta.url), 'utf8');
      assert.match(card, new RegExp(`\\| TPR \\(detection rate\\) \\| ${pct(recorded.tpr)} \\|`), model);
      assert.match(card, new RegExp(`\\| FPR \\| ${pct(recorded.fpr)} \\|`), model);
    }
  });
});

// Built by `make external-set` from pinned PyPI packages into the cache (`make test` builds it first); a run
// of this file alone on a machine that never built it skips the check.
const EXTERNAL = path.join(
  process.env.BULWARK_CACHE ?? path.join(homedir(), '.cache', 'bulwark'),
  'external',
  'external-v6.jsonl',
);

describe('the default policy on the external set', () => {
  it('policies/default.external.json and the cards match what the code computes (make external-eval)', {
    skip: !existsSync(EXTERNAL) && `${EXTERNAL} not built (make external-set)`,
  }, async () => {
    const recorded = JSON.parse(
      readFileSync(new URL('../../policies/default.external.json', import.meta.url), 'utf8'),
    );
    const figures = await defaultPolicyFigures(readFileSync(EXTERNAL, 'utf8'), 'external');
    assertFiguresMatch(
      figures,
      recorded,
      'a scanner, the policy or the model changed: run `make external-eval`',
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    for (const model of ['bulwark-injection-ngram-v1', 'bulwark-injection-minilm-v1']) {
      const card = readFileSync(new URL(`../../models/${model}/MODEL_CARD.md`, import.meta.url), 'utf8');
      assert.ok(
        card.includes(`All ${recorded.n} rows: TPR ${pct(recorded.tpr)}, FPR ${pct(recorded.fpr)}.`),
        `${model} card lacks the external figures: run make external-eval`,
      );
    }
  });
});
