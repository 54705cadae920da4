// The chart ships the CRDs generated into crds/; scripts/delivery/sync-chart-crds.sh copies them.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseAllDocuments } from 'yaml';
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

it('reads the same under YAML 1.1, as kubectl and helm parse it (no unquoted y/n/on/off/yes/no)', async () => {
  // Go's YAML libraries (sigs.k8s.io/yaml) resolve YAML 1.1 booleans: a property named `n` or `on`
  // becomes `false`/`true`, and `kubectl apply` / `helm install` then fail on the CRD.
  const chart = join(CHART_DIR, 'crds');
  for (const name of (await readdir(chart)).filter((f) => f.endsWith('.yaml')).sort()) {
    const text = await readFile(join(chart, name), 'utf8');
    const asGoReadsIt = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
    const asWritten = parseAllDocuments(text, { version: '1.2' }).map((d) => d.toJS());
    assert.deepEqual(asGoReadsIt, asWritten, `${name} changes meaning under YAML 1.1`);
  }
});
