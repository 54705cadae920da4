import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

// Runs of characters that a word and a separator both accept, after a trigger word that starts a cue: once
// these took minutes to fail to match (phrases.ts). Scanned in a child process, since a runaway regex blocks
// its thread and no in-process timeout can stop it.
const ADVERSARIAL = ['-', "a'", "'", 'a-', '-a', '’', 'a’', '*', '#', '\\n', '='].map(
  (unit) => `ignore ${unit.repeat(Math.ceil(8000 / unit.length))} x`,
);

describe('cue regexes on adversarial runs', () => {
  it('fail to match in seconds, not minutes', () => {
    const script = `
      const { INJECTION_CUES } = await import(${JSON.stringify(new URL('../promptInjection/cues.ts', import.meta.url).href)});
      const { JAILBREAK_CUES } = await import(${JSON.stringify(new URL('../jailbreak/index.ts', import.meta.url).href)});
      const { scoreCues } = await import(${JSON.stringify(new URL('./cues.ts', import.meta.url).href)});
      for (const text of ${JSON.stringify(ADVERSARIAL)}) {
        scoreCues(text, INJECTION_CUES);
        scoreCues(text, JAILBREAK_CUES);
      }
      console.log('scanned');
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.signal, null, 'the scan did not finish within a minute');
    assert.equal(run.stdout.trim(), 'scanned', run.stderr);
  });
});
