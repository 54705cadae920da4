/**
 * Every benchmark harness runs end to end on a tiny workload and reports figures of the right shape. The
 * figures themselves are not judged here (timings belong to the benchmarks' own runs, see each METHOD.md):
 * this only keeps a harness from breaking unnoticed, as bench/guard's `--policy default` once did for a
 * whole session. bench/operator is not run: it starts a control plane of its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { scratchDir } from '../test/support/scratch.ts';
import { adversarialUnits, OPENINGS } from './scanners/adversarial.bench.ts';

const run = promisify(execFile);
const root = new URL('../', import.meta.url).pathname;
const FIXTURE = join(root, 'shared/eval/testdata/fixture.jsonl');

async function bench(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, script), ...args], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Asserts that every path names a positive finite number in `report`. */
function assertFigures(report: unknown, paths: string[][]): void {
  for (const path of paths) {
    const value = path.reduce<unknown>(
      (at, key) => (at as Record<string, unknown> | undefined)?.[key],
      report,
    );
    assert.ok(
      typeof value === 'number' && Number.isFinite(value) && value > 0,
      `${path.join('.')} is ${JSON.stringify(value)}`,
    );
  }
}

describe('benchmark harnesses (smoke runs)', () => {
  for (const [policy, prompts, replies] of [
    ['rules', 'fixed', 'fixed'],
    ['default', 'chat', 'fixed'],
    ['shipped', 'chat', 'returned'],
  ] as const) {
    test(`bench/guard --policy ${policy} --prompts ${prompts} --replies ${replies}`, async () => {
      const out = join(scratchDir('bench'), 'guard.json');
      await bench('bench/guard/run.ts', [
        ...['--tsx', '--rounds', '1', '--duration', '1', '--warmup', '1', '--connections', '2'],
        ...['--sequential', '20', '--policy', policy, '--prompts', prompts, '--replies', replies],
        ...['--dataset', FIXTURE],
        ...['--json', out],
      ]);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      assert.equal(report.policy, policy);
      assert.equal(report.prompts, prompts);
      assertFigures(report, [
        ['rps', 'guard'],
        ['rps', 'floor'],
        ['sequential', 'guardP50Ms'],
        ['cpuMsPerRequest', 'guard'],
        ['guardRssMiB', 'idle'],
      ]);
    });
  }

  test('bench/classifier: the shipped first model alone', async () => {
    const report = JSON.parse(
      await bench('bench/classifier/classifier.bench.ts', ['--iterations', '3', '--json']),
    );
    assertFigures(report, [
      ['latencyMs', '512 tokens', 'classify', 'p50'],
      ['rssMiB', 'afterLoad'],
    ]);
  });

  test('bench/classifier: the default policy’s cascade', async () => {
    const args = ['--iterations', '3', '--dataset', FIXTURE, '--split', 'validation', '--json'];
    const report = JSON.parse(await bench('bench/classifier/cascade.bench.ts', args));
    assertFigures(report, [['texts'], ['slowPathMs', '512 tokens', 'p50'], ['rssMiB', 'cascadeLoaded']]);
  });

  test('bench/classifier: the cascade in its worker thread', async () => {
    const args = ['--rounds', '1', '--dataset', FIXTURE, '--split', 'validation', '--json'];
    const report = JSON.parse(await bench('bench/classifier/worker.bench.ts', args));
    assertFigures(report, [
      ['runs', 'worker', '0', 'callMs', 'mean'],
      ['runs', 'mainThread', '0', 'callMs', 'mean'],
      ['rssMiB', 'workerLoaded'],
    ]);
  });

  test('bench/scanners: the rule scanner chain', async () => {
    const report = JSON.parse(await bench('bench/scanners/chain.bench.ts', ['--iterations', '3', '--json']));
    assertFigures(report, [
      ['input', 'p50'],
      ['output', 'p50'],
    ]);
  });

  test('bench/scanners: adversarial runs', async () => {
    const args = ['--small', '100', '--large', '400', '--top', '3', '--json'];
    const report = JSON.parse(await bench('bench/scanners/adversarial.bench.ts', args));
    assert.equal(report.linearGrowth, 4);
    for (const path of ['input', 'output']) {
      assert.equal(report[path].texts, 2 * OPENINGS.length * adversarialUnits().length);
      assert.equal(report[path].worst.length, 3);
    }
    assertFigures(report, [
      ['input', 'proseLargeMs'],
      ['output', 'worstToProse'],
    ]);
  });

  test('bench/scanners: ReDoS audit of one scanner', async () => {
    const report = JSON.parse(await bench('bench/scanners/redos.ts', ['--only', 'invisibleText', '--json']));
    assert.ok(report.checked >= 3, `${report.checked} expressions`);
    assert.equal(report.safe + report.unknown + report.vulnerable, report.checked);
    assert.equal(report.vulnerableTimed.length, report.vulnerable);
  });

  for (const extra of [[], ['--split-with', '-'], ['--flip']]) {
    test(`bench/robustness: typoglycemia ${extra.join(' ')}`, async () => {
      const args = ['--dataset', FIXTURE, '--words', 'attack', ...extra, '--json'];
      const report = JSON.parse(await bench('bench/robustness/typoglycemia.ts', args));
      assert.equal(report.rows, 10);
      assert.equal(report.splitWith, extra[0] === '--split-with' ? extra[1] : null);
      assert.equal(report.flip, extra[0] === '--flip');
      assertFigures(report, [
        ['plain', 'tpr'],
        ['scrambled', 'tpr'],
      ]);
    });
  }
});
