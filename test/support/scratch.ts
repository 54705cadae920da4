/**
 * Temporary directories that go away when the process exits: every test file runs in its own process, and
 * a suite run hundreds of times on one machine must not leave hundreds of directories in /tmp. Removed on
 * exit rather than after each test because some are still open then (a guard watching its policy file, a
 * spawned CLI's output read later).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A new directory under the system's temporary directory, named `bulwark-<purpose>-XXXXXX`. */
export function scratchDir(purpose: string): string {
  if (made.length === 0) {
    process.once('exit', () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), `bulwark-${purpose}-`));
  made.push(dir);
  return dir;
}
