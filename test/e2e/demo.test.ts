import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;

// The README's main command, end to end on a cluster of its own so it cannot disturb other tests.
test('make demo: operator reconciles the samples and the guard gives the expected verdicts', {
  timeout: 600_000,
}, () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo/run.ts', '--cluster-name', 'bulwark-demo-test'],
    { cwd: root, encoding: 'utf8', timeout: 590_000 },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, output);
  assert.match(output, /demo-chat Ready: 2 replicas, policy support-bot@[0-9a-f]{16}/);
  assert.match(output, /pod demo-chat-\S+ on \S+ \[guard, output-check, model\] Running/);
  assert.match(output, /^prompt injection\s+blocked /m);
  assert.match(output, /^benign role-play\s+passed /m);
  assert.match(output, /^canary leak \(output\)\s+blocked .*canary/m);
  assert.match(output, /^Please draft a reply to <EMAIL_1> confirming/m);
  assert.match(output, /bulwark_detections_total\{scanner="pii",direction="input",action="anonymize"\} 1/);
  assert.doesNotMatch(output, /expected (passed|blocked|rewritten)/);
  assert.match(output, /\[cluster bulwark-demo-test\] removed/);
});
