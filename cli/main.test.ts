import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { scratchDir } from '../test/support/scratch.ts';

const root = new URL('..', import.meta.url).pathname;

function bulwark(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [join(root, 'bin/bulwark.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bulwark CLI', () => {
  test('--help lists every subcommand and exits 0', () => {
    const { code, stdout } = bulwark(['--help']);
    assert.equal(code, 0);
    for (const name of ['operator', 'guard', 'scan', 'eval', 'render', 'validate']) {
      assert.match(stdout, new RegExp(`^  ${name} `, 'm'));
    }
    assert.doesNotMatch(stdout, /not available/);
  });

  for (const name of ['operator', 'guard', 'scan', 'eval', 'render', 'validate']) {
    test(`${name} --help prints usage and exits 0`, () => {
      const { code, stdout } = bulwark([name, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Usage: bulwark ${name}`));
    });
  }

  test('an unknown command is a usage error (exit 2) that names it', () => {
    const { code, stderr } = bulwark(['deploy']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "deploy"/);
  });

  test('an unknown flag is a usage error (exit 2)', () => {
    const { code, stderr } = bulwark(['validate', '--frobnicate']);
    assert.equal(code, 2);
    assert.match(stderr, /frobnicate/);
  });

  test('validate accepts the shipped samples', () => {
    const { code, stdout } = bulwark([
      'validate',
      '-f',
      'manifests/samples/llmdeployment.yaml',
      '-f',
      'manifests/samples/guardrailpolicy.yaml',
    ]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /LlmDeployment\/support-bot: valid/);
    assert.match(stdout, /GuardrailPolicy\/support-bot: valid/);
  });

  test('validate names the field of every problem in a broken sample and exits 1', () => {
    const dir = scratchDir('cli');
    const broken = readFileSync(join(root, 'manifests/samples/llmdeployment.yaml'), 'utf8')
      .replace('maxSurge: 1\n    maxUnavailable: 0', 'maxSurge: 0\n    maxUnavailable: "0%"')
      .replace('gpus: 1', 'gpus: many');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, broken);
    const { code, stderr } = bulwark(['validate', '-f', file]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /LlmDeployment\/support-bot: spec\.rollout: maxSurge and maxUnavailable cannot both be 0/,
    );
    assert.match(stderr, /spec\.model\.resources\.gpus: /);
  });

  test('validate reads stdin and reports YAML syntax errors', () => {
    const { code, stderr } = bulwark(
      ['validate', '-f', '-'],
      'apiVersion: bulwark.dev/v1alpha1\nkind: [unclosed\n',
    );
    assert.equal(code, 1);
    assert.match(stderr, /YAML:/);
  });

  test('validate without a file is a usage error', () => {
    const { code, stderr } = bulwark(['validate']);
    assert.equal(code, 2);
    assert.match(stderr, /-f FILE is required/);
  });
});
