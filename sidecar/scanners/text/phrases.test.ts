import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInChild } from '../../../test/support/child.ts';

// Runs of characters that a word and a separator both accept, after a trigger word that starts a cue: once
// these took minutes to fail to match (phrases.ts). Runs of a delimiter or quote mark broken by spaces or
// line breaks, which a cue's leading class walked to the end from every one of its characters: 128 KB took
// 15-18 s, 256 KB four times that. Both are linear now (bench/scanners/adversarial.bench.ts), a fraction of
// a second for all of them. Scanned in a child process, since a runaway regex blocks its thread and no
// in-process timeout can stop it.
const EXPONENTIAL = ['-', "a'", "'", 'a-', '-a', '’', 'a’', '*', '#', '\\n', '='];
const QUADRATIC = ['# ', '* ', '~ ', '% ', '>\n', '*\n', '#\n'];
/** [opening, unit, length]: the child process builds the texts (1.8 MB would not fit its command line). */
const ADVERSARIAL = [
  ...EXPONENTIAL.map((unit) => ['ignore ', unit, 8000]),
  ...QUADRATIC.map((unit) => ['system: ', unit, 256_000]),
];

describe('cue regexes on adversarial runs', () => {
  it('fail to match in seconds, not minutes or hours', () => {
    const script = `
      const { INJECTION_CUES } = await import(${JSON.stringify(new URL('../promptInjection/cues.ts', import.meta.url).href)});
      const { JAILBREAK_CUES } = await import(${JSON.stringify(new URL('../jailbreak/index.ts', import.meta.url).href)});
      const { scoreCues } = await import(${JSON.stringify(new URL('./cues.ts', import.meta.url).href)});
      for (const [opening, unit, length] of ${JSON.stringify(ADVERSARIAL)}) {
        const text = opening + unit.repeat(Math.ceil(length / unit.length)) + ' x';
        scoreCues(text, INJECTION_CUES);
        scoreCues(text, JAILBREAK_CUES);
      }
      console.log('scanned');
    `;
    const run = runInChild(script, 60_000);
    assert.equal(run.signal, null, 'the scan did not finish within a minute');
    assert.equal(run.stdout.trim(), 'scanned', run.stderr);
  });
});
