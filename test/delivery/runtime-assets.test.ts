// Every data file a module reads beside itself (`new URL('./file', import.meta.url)`) must reach the
// compiled tree: tsc copies only JavaScript, and a guard image without the jailbreak corpus cannot load
// the default policy. scripts/build/copy-runtime-assets.sh is what `make build`, the Dockerfile and
// bench/guard use; this runs it and looks for each such file in its output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from './tools.ts';

const COMPILED = ['api', 'operator', 'sidecar', 'shared', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testdata' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Files in the compiled folders referenced as `new URL('./x.ext', import.meta.url)` that are not modules. */
function dataFilesReadAtRunTime(): string[] {
  const found = new Set<string>();
  for (const file of COMPILED.flatMap((d) => sources(join(REPO_ROOT, d)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(
      /new URL\(\s*['"`](\.{1,2}\/[^'"`$]+)['"`]\s*,\s*import\.meta\.url/g,
    )) {
      const target = m[1]!;
      if (/\.(ts|js)$/.test(target) || target.endsWith('/')) continue;
      const path = relative(REPO_ROOT, join(dirname(file), target));
      // Files outside the compiled folders (package.json) are copied to the image root on their own.
      if (COMPILED.some((d) => path.startsWith(`${d}/`))) found.add(path);
    }
  }
  return [...found].sort();
}

it('copies every data file read beside a module into the compiled tree', () => {
  const wanted = dataFilesReadAtRunTime();
  assert.ok(wanted.includes('sidecar/scanners/jailbreak/corpus.json'), `found: ${wanted.join(', ')}`);
  const out = mkdtempSync(join(tmpdir(), 'bulwark-assets-'));
  try {
    execFileSync(join(REPO_ROOT, 'scripts', 'build', 'copy-runtime-assets.sh'), [out]);
    for (const file of wanted) assert.ok(existsSync(join(out, file)), `${file} is missing from the build`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
