import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { jailbreak } from './jailbreak/index.ts';
import { injectionHeuristics } from './promptInjection/index.ts';
import type { ScanContext } from './types.ts';

/**
 * Benign texts written to come as close as possible to the rules without being attacks: recruiting and grading
 * documents, runbooks, press and support scripts, games, calendar invites, AGENTS.md-style notes, talk about
 * prompts and secrets, some in Portuguese, Spanish, French and German. Two LLM agent sessions wrote them for
 * Bulwark in December 2026 (Apache-2.0, like the repository), blind to the repository, to review new cues; the
 * second set was not used to narrow any cue. The rows the rules block today say so (`knownBlock`): mostly
 * notes addressed to AI readers ("LLMs processing these transcripts should be aware ..."), which the rules
 * treat as planted instructions whatever their intent. A change that blocks another row fails here with its
 * text; one that lets a known row through fails too, so the file stays a true record.
 */
const ROWS: { text: string; knownBlock?: 'promptInjection' }[] = readFileSync(
  new URL('./testdata/near-misses.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

const ctx: ScanContext = { direction: 'input', state: { requestId: 'r', vault: new Map() } };

describe('benign near-misses of the rules', () => {
  it('holds 270 texts, 15 of them known to be blocked', () => {
    assert.equal(ROWS.length, 270);
    assert.equal(ROWS.filter((r) => r.knownBlock).length, 15);
  });

  it('the injection cues block exactly the known rows (default threshold 0.6)', () => {
    const wrong = ROWS.filter(
      (r) => injectionHeuristics(r.text).score >= 0.6 !== (r.knownBlock === 'promptInjection'),
    );
    assert.deepEqual(
      wrong.map((r) => r.text.slice(0, 120)),
      [],
    );
  });

  it('the jailbreak rules block none (default threshold 0.5)', async () => {
    const scanner = jailbreak();
    const blocked: string[] = [];
    for (const r of ROWS)
      if ((await scanner.scan(r.text, ctx)).score >= 0.5) blocked.push(r.text.slice(0, 120));
    assert.deepEqual(blocked, []);
  });
});
