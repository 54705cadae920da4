import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('bulwark digest', () => {
  it('prints the SHA-256 of the trimmed text, the same for the text with a trailing newline', () => {
    const run = (input: string) =>
      spawnSync(process.execPath, ['bin/bulwark.js', 'digest'], { cwd: root, input, encoding: 'utf8' });
    const plain = run('You are a helpful assistant.');
    assert.equal(plain.status, 0, plain.stderr);
    // printf %s "You are a helpful assistant." | sha256sum
    assert.equal(plain.stdout, '75357d685f238b6afd7738be9786fdafde641eb6ca9a3be7471939715a68a4de\n');
    assert.equal(run('  You are a helpful assistant.\n').stdout, plain.stdout);
    assert.notEqual(run('You are a helpful assistant!').stdout, plain.stdout);
  });

  it('--prefix prints a trustedInstructionPrefixes entry: the same digest and the length in UTF-8 bytes', () => {
    const run = (input: string) =>
      spawnSync(process.execPath, ['bin/bulwark.js', 'digest', '--prefix'], {
        cwd: root,
        input,
        encoding: 'utf8',
      });
    const entry = run('You are a helpful assistant.\n');
    assert.equal(entry.status, 0, entry.stderr);
    assert.deepEqual(JSON.parse(entry.stdout), {
      digest: '75357d685f238b6afd7738be9786fdafde641eb6ca9a3be7471939715a68a4de',
      bytes: 28,
    });
    // printf %s "Réponds en français." | wc -c
    assert.equal(JSON.parse(run('Réponds en français.').stdout).bytes, 22);
  });
});
