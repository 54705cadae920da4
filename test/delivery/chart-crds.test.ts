// The chart ships the CRDs generated into crds/; scripts/delivery/sync-chart-crds.sh copies them.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { CHART_DIR, REPO_ROOT } from './tools.ts';

it('charts/bulwark/crds/ is a byte-for-byte copy of crds/ (run scripts/delivery/sync-chart-crds.sh)', async () => {
  const source = join(REPO_ROOT, 'crds');
  const chart = join(CHART_DIR, 'crds');
  const names = (await readdir(source)).filter((f) => f.endsWith('.yaml')).sort();
  assert.deepEqual((await readdir(chart)).filter((f) => f.endsWith('.yaml')).sort(), names);
  for (const name of names) {
    assert.equal(
      await readFile(join(chart, name), 'utf8'),
      await readFile(join(source, name), 'utf8'),
      `${name} drifted`,
    );
  }
});
