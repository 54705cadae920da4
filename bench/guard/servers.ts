/**
 * Child process for the guard benchmark: `upstream` starts the fake model, `guard PORT` a guard in front
 * of it with the rule scanners on. Prints `ready <port>` on stdout once listening.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logging.ts';
import { startGuard } from '../../sidecar/main.ts';
import { pipelineDeps } from '../../sidecar/server/pipeline-deps.ts';
import { startFakeUpstream } from '../../test/support/openai-upstream.ts';
import { BENCH_POLICY } from './policy.ts';

const [mode, upstreamPort] = process.argv.slice(2);
if (mode === 'upstream') {
  const upstream = await startFakeUpstream();
  console.log(`ready ${upstream.port}`);
} else if (mode === 'guard') {
  const policyPath = join(tmpdir(), `bulwark-bench-policy-${process.pid}.yaml`);
  writeFileSync(policyPath, BENCH_POLICY);
  // Audit lines are produced (their cost is part of the guard's) but discarded, not written to a terminal.
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const logger = createLogger({ service: 'bulwark-guard-bench', stream: sink });
  const guard = await startGuard(
    {
      role: 'input',
      policyPath,
      upstreamUrl: `http://127.0.0.1:${upstreamPort}`,
      listen: { host: '127.0.0.1', port: 0 },
      adminListen: { host: '127.0.0.1', port: 0 },
      outputScan: 'on',
      maxRequestBytes: 1024 * 1024,
      maxJsonDepth: 64,
      maxResponseBytes: 16 * 1024 * 1024,
      upstreamTimeoutMs: 30_000,
      maxConcurrency: 256,
      maxQueue: 1024,
      queueTimeoutMs: 30_000,
      upstreamHealthPath: '/v1/models',
    },
    { ...(await pipelineDeps(logger)), logger },
  );
  console.log(`ready ${guard.port}`);
}
