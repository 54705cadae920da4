// Invariants of ./Dockerfile that keep the images small, pinned and safe to run with a read-only root
// filesystem as a non-root user. No engine can build images on our machines (no registry), so these are
// checked on the file itself; `make images` builds them where an engine exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  base: string;
  name: string;
  instructions: Instruction[];
  /** The comment lines directly above FROM. */
  comment: string;
}

/** A small Dockerfile parser: line continuations, comments, ARG defaults before the first FROM. */
export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  let comment: string[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      comment.push(line);
      continue;
    }
    if (line === '') {
      comment = [];
      continue;
    }
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [, base = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest) ?? [];
      const resolved = base.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? `\${${k}}`);
      stages.push({ base: resolved, name, instructions: [], comment: comment.join('\n') });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [k = '', v = ''] = rest.split('=', 2);
      args.set(k, v);
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args: rest });
    }
    comment = [];
  }
  return { args, stages };
}

const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const { stages } = parseDockerfile(text);
const stage = (name: string) => {
  const s = stages.find((x) => x.name === name);
  assert.ok(s, `stage ${name}`);
  return s;
};
/** A stage's instructions including those inherited from stages it is built FROM. */
const lineage = (s: Stage): Instruction[] => {
  const parent = stages.find((x) => x.name === s.base);
  return [...(parent ? lineage(parent) : []), ...s.instructions];
};
const lastUser = (s: Stage) =>
  lineage(s)
    .filter((i) => i.op === 'USER')
    .at(-1)?.args;
const RUNTIME_TARGETS = ['operator', 'guard'];
const FINAL_TARGETS = [...RUNTIME_TARGETS, 'profile-installer'];

describe('Dockerfile', () => {
  it('pins every external base image by sha256 digest', () => {
    const names = new Set(stages.map((s) => s.name));
    for (const s of stages) {
      if (names.has(s.base)) continue;
      assert.match(s.base, /^[^\s@]+@sha256:[a-f0-9]{64}$/, `FROM ${s.base} (${s.name})`);
    }
  });

  it('runs operator and guard as a numeric non-root user', () => {
    for (const name of RUNTIME_TARGETS) {
      const user = lastUser(stage(name));
      assert.match(user ?? '', /^[1-9][0-9]*(:[1-9][0-9]*)?$/, `${name} USER ${user}`);
    }
  });

  it('runs the profile installer as root only with the privilege documented above its stage', () => {
    const installer = stage('profile-installer');
    assert.equal(lastUser(installer), '0:0');
    assert.match(installer.comment, /PRIVILEGED/);
  });

  it('uses a distroless base (no shell, no package manager) and no RUN for every final image', () => {
    for (const name of FINAL_TARGETS) {
      let s: Stage | undefined = stage(name);
      while (s && stages.some((x) => x.name === s!.base)) s = stages.find((x) => x.name === s!.base);
      assert.match(s!.base, /^gcr\.io\/distroless\//, `${name} base`);
      assert.deepEqual(
        lineage(stage(name)).filter((i) => i.op === 'RUN'),
        [],
        `${name} has no RUN (there is no shell)`,
      );
    }
  });

  it('uses exec-form ENTRYPOINT/CMD that start node directly, never npm or npx', () => {
    for (const name of FINAL_TARGETS) {
      const entry = lineage(stage(name)).filter((i) => i.op === 'ENTRYPOINT' || i.op === 'CMD');
      assert.ok(entry.length > 0, name);
      for (const i of entry) {
        const argv = JSON.parse(i.args) as string[];
        assert.ok(Array.isArray(argv), `${name} ${i.op} is exec form`);
        assert.ok(!argv.some((a) => /\b(npm|npx|sh|bash|curl|wget)\b/.test(a)), `${name} ${i.op} ${i.args}`);
      }
      assert.equal(
        lineage(stage(name))
          .filter((i) => i.op === 'ENTRYPOINT')
          .at(-1)
          ?.args.startsWith('["/nodejs/bin/node"'),
        true,
      );
    }
  });

  it('installs production dependencies only into the images (none for the installer), and compiles with tsconfig.build.json', () => {
    assert.ok(stage('deps').instructions.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args)));
    assert.ok(
      stage('build').instructions.some((i) => i.op === 'RUN' && /tsc -p tsconfig\.build\.json/.test(i.args)),
    );
    for (const name of FINAL_TARGETS) {
      const copies = lineage(stage(name)).filter((i) => i.op === 'COPY' && /node_modules/.test(i.args));
      if (name !== 'profile-installer') assert.ok(copies.length > 0, `${name} copies node_modules`);
      for (const c of copies) assert.match(c.args, /--from=deps\b/, `${name}: ${c.args}`);
    }
  });

  it('fetches nothing over the network outside the build stages (no ADD <url>, no curl/wget)', () => {
    for (const s of stages) {
      for (const i of s.instructions) {
        assert.ok(!(i.op === 'ADD' && /https?:\/\//.test(i.args)), `${s.name}: ADD ${i.args}`);
        assert.ok(!/\b(curl|wget)\b/.test(i.args), `${s.name}: ${i.op} ${i.args}`);
      }
    }
  });

  it('bakes the default model directory into the guard image and the operator image (dataset gate)', () => {
    for (const name of ['guard', 'operator']) {
      const copies = stage(name).instructions;
      assert.ok(
        copies.some((i) => i.op === 'COPY' && /--from=build \/src\/models \.\/models/.test(i.args)),
        `${name} copies models/`,
      );
    }
    // Where the classifier looks by default: models/ beside the package.json, which the image puts in /app.
    const classifier = readFileSync(join(REPO_ROOT, 'shared', 'classifier', 'index.ts'), 'utf8');
    assert.match(classifier, /path\.join\(packageRoot\(\), 'models'/);
    assert.ok(lineage(stage('guard')).some((i) => i.op === 'WORKDIR' && i.args === '/app'));
    assert.ok(lineage(stage('guard')).some((i) => i.op === 'COPY' && i.args === 'package.json ./'));
  });

  it('labels every image with the OCI annotations', () => {
    for (const name of FINAL_TARGETS) {
      const labels = lineage(stage(name))
        .filter((i) => i.op === 'LABEL')
        .map((i) => i.args)
        .join(' ');
      for (const key of ['title', 'description', 'source', 'licenses', 'version', 'revision', 'created']) {
        assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), `${name}: ${key}`);
      }
    }
  });

  it('copies the data files the code reads at run time next to the compiled modules', () => {
    const build = stage('build')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args);
    assert.ok(build.some((args) => /scripts\/build\/copy-runtime-assets\.sh dist/.test(args)));
  });

  it('keeps the build context to what the Dockerfile copies', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'everything is excluded first');
    for (const needed of [
      'package.json',
      'package-lock.json',
      'api/',
      'cli/',
      'bin/',
      'models/',
      'scripts/build/',
    ]) {
      assert.ok(ignore.includes(`!${needed}`), needed);
    }
  });
});

describe('make images', () => {
  it('exits 2 with a clear message when no engine can build', () => {
    // A PATH holding only the tools the script needs besides an engine: no docker, podman or buildah.
    const bin = mkdtempSync(join(tmpdir(), 'bulwark-images-'));
    for (const tool of ['dirname', 'date', 'git', 'node']) {
      const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    const result = spawnSync('/bin/bash', [join(REPO_ROOT, 'scripts', 'delivery', 'build-images.sh')], {
      encoding: 'utf8',
      env: { PATH: bin, HOME: process.env.HOME },
    });
    rmSync(bin, { recursive: true, force: true });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /no container engine can build here/);
    assert.match(result.stderr, /podman: not installed/);
  });
});
