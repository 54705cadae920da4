/**
 * Child process for the guard benchmark: `upstream` starts the fake model, `guard PORT [rules|default|shipped]`
 * a guard in front of it with the rule policy (policy.ts), the shipped default policy without its classifier,
 * or the shipped default policy as it is (classifier cascade in its worker thread), `floor PORT` the least a
 * Node proxy can do (see METHOD.md). Prints `ready <port>` on stdout once listening. run.ts starts it
 * compiled with tsc (as the guard image runs), or under tsx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Pool } from 'undici';
import { parseDocument } from 'yaml';
import { createLogger } from '../../shared/logging.ts';
import { startGuard } from '../../sidecar/main.ts';
import { pipelineDeps } from '../../sidecar/server/pipeline-deps.ts';
import { startFakeUpstream } from '../../test/support/openai-upstream.ts';
import { scratchDir } from '../../test/support/scratch.ts';
import { BENCH_POLICY } from './policy.ts';

const [mode, upstreamPort, policyName = 'rules'] = process.argv.slice(2);

/**
 * The policy the guard runs. `default` is policies/default.yaml with the classifier switched off (the rule
 * scanners' share; the model's own cost is bench/classifier's); `shipped` is that file as it is.
 */
function benchPolicy(): string {
  if (policyName === 'rules') return BENCH_POLICY;
  if (policyName !== 'default' && policyName !== 'shipped')
    throw new Error(`unknown policy ${policyName} (rules, default or shipped)`);
  // The repository root: run.ts says where it is, since the compiled copy lives under .cache/.
  const root = process.env.BULWARK_BENCH_ROOT ?? new URL('../../', import.meta.url).pathname;
  const text = readFileSync(join(root, 'policies/default.yaml'), 'utf8');
  if (policyName === 'shipped') return text;
  const doc = parseDocument(text);
  const input = doc.getIn(['spec', 'input']) as { items: { get(key: string): unknown }[] } | undefined;
  const at = input?.items.findIndex((entry) => entry.get('type') === 'promptInjection') ?? -1;
  if (at < 0 || !doc.hasIn(['spec', 'input', at, 'params', 'classifier']))
    throw new Error('policies/default.yaml has no promptInjection classifier to switch off');
  doc.setIn(['spec', 'input', at, 'params', 'classifier'], { enabled: false });
  return doc.toString();
}
if (mode === 'upstream') {
  // Not recording requests: the fake model's memory must not grow over the run (it would tax later runs).
  const upstream = await startFakeUpstream({ record: false });
  console.log(`ready ${upstream.port}`);
} else if (mode === 'guard') {
  const policyPath = join(scratchDir('bench-policy'), 'policy.yaml');
  writeFileSync(policyPath, benchPolicy());
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
  // A clean exit, so `node --cpu-prof` (run.ts --profile) writes its profile.
  process.once('SIGTERM', () => {
    void guard.close().then(() => process.exit(0));
  });
} else if (mode === 'floor') {
  // The reference point: node:http in, an undici keep-alive pool out, both bodies read whole and parsed,
  // nothing else (no framework, scanning, audit or metrics). What the guard adds beyond this is ours.
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    JSON.parse(body.toString('utf8'));
    const up = await pool.request({
      method: 'POST',
      path: req.url ?? '/',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const out = Buffer.from(await up.body.arrayBuffer());
    JSON.parse(out.toString('utf8'));
    res.writeHead(up.statusCode, { 'content-type': 'application/json' });
    res.end(out);
  });
  server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as AddressInfo).port}`));
}
