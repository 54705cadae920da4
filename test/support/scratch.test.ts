import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { test } from 'node:test';

const child = `
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from ${JSON.stringify(new URL('./scratch.ts', import.meta.url).href)};
const dirs = [scratchDir('scratch-test'), scratchDir('scratch-test')];
writeFileSync(join(dirs[0], 'file'), 'x');
console.log(JSON.stringify(dirs.map((dir) => ({ dir, existed: existsSync(dir) }))));
`;

test('scratch directories exist while the process runs and are gone once it exits', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', child], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout) as { dir: string; existed: boolean }[];
  assert.equal(seen.length, 2);
  assert.notEqual(seen[0]?.dir, seen[1]?.dir);
  for (const { dir, existed } of seen) {
    assert.equal(existed, true);
    assert.equal(dirname(dir), tmpdir());
    assert.match(dir, /bulwark-scratch-test-/);
    assert.equal(existsSync(dir), false, `${dir} left behind`);
  }
});
