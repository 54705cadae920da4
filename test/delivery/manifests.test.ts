// manifests/ is rendered from the chart (scripts/delivery/render-manifests.sh) and must not drift; the
// GitOps examples in manifests/gitops/ must parse and point at the folders this repository has.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateManifests } from '../../shared/manifests.ts';
import { helmPath, parseObjects, REPO_ROOT, run } from './tools.ts';

const helm = helmPath();
const FILES = ['bulwark.yaml', 'monitoring.yaml', 'profile-installer.yaml'];

describe('manifests/', () => {
  it('equals a fresh render of the chart (run `make manifests`)', {
    skip: helm ? false : 'helm not built: run `make binaries`',
  }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'bulwark-manifests-'));
    try {
      await run(join(REPO_ROOT, 'scripts', 'delivery', 'render-manifests.sh'), [out], {
        env: { ...process.env, HELM: helm },
      });
      for (const file of FILES) {
        assert.equal(
          await readFile(join(REPO_ROOT, 'manifests', file), 'utf8'),
          await readFile(join(out, file), 'utf8'),
          `manifests/${file} drifted from the chart`,
        );
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('installs into a namespace that enforces Pod Security restricted', async () => {
    const objects = parseObjects(await readFile(join(REPO_ROOT, 'manifests', 'bulwark.yaml'), 'utf8'));
    const ns = objects.find((o) => o.kind === 'Namespace');
    assert.equal(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.equal(objects.filter((o) => o.kind === 'CustomResourceDefinition').length, 2);
  });
});

describe('manifests/gitops/', () => {
  it('has an Argo CD Application and a Flux Kustomization that sync an existing policies/ folder', async () => {
    const dir = join(REPO_ROOT, 'manifests', 'gitops');
    const objects = (
      await Promise.all(
        (
          await readdir(dir, { recursive: true })
        )
          .filter((f) => f.endsWith('.yaml'))
          .map(async (f) => parseObjects(await readFile(join(dir, f), 'utf8'))),
      )
    ).flat();
    const app = objects.find((o) => o.kind === 'Application') as
      | { spec?: { source?: { path?: string } } }
      | undefined;
    const flux = objects.find(
      (o) => o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io'),
    ) as { spec?: { path?: string } } | undefined;
    assert.ok(app?.spec?.source?.path, 'Argo CD Application with a source path');
    assert.ok(flux?.spec?.path, 'Flux Kustomization with a path');
    for (const path of [app.spec.source.path, flux.spec.path]) {
      const local = path.replace(/^\.\//, '');
      assert.ok(existsSync(join(REPO_ROOT, local)), `${path} exists in the repository`);
    }
  });
});

describe('manifests/gitops/policies/', () => {
  it('holds only policies that pass `bulwark validate` (what CI runs on a pull request)', async () => {
    const dir = join(REPO_ROOT, 'manifests', 'gitops', 'policies');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    let policies = 0;
    for (const file of files) {
      for (const result of validateManifests(await readFile(join(dir, file), 'utf8'))) {
        if (result.kind === 'GuardrailPolicy') policies++;
        assert.deepEqual(result.problems, [], `${file} ${result.kind}/${result.name}`);
      }
    }
    assert.ok(policies >= 1);
  });
});
