/** Starts a guard (and optionally an output check) in front of the fake upstream, capturing log lines. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../shared/logging.ts';
import { type GuardConfig, type GuardDeps, type RunningGuard, startGuard } from '../../sidecar/main.ts';
import { scratchDir } from '../support/scratch.ts';
import { compileRulePolicy, injectTestCanary } from './guard-rule-policy.ts';

export const TEST_POLICY = `apiVersion: bulwark.dev/v1alpha1
kind: GuardrailPolicy
metadata:
  name: e2e
spec:
  failMode: closed
  input:
    - type: promptInjection
      action: block
    - type: bannedSubstrings
      action: block
      params:
        substrings: ["project nightingale"]
    - type: pii
      action: redact
      params:
        entities: [EMAIL]
  output:
    - type: canary
      action: block
    - type: bannedSubstrings
      action: block
      params:
        substrings: ["as an unrestricted AI"]
    - type: pii
      action: redact
      params:
        entities: [EMAIL]
`;

export interface Harness {
  guard: RunningGuard;
  url: string;
  dir: string;
  policyPath: string;
  /** Every line the guard logged (audit and process), parsed. */
  lines: Record<string, unknown>[];
  rawLog: () => string;
}

export async function startHarness(
  upstreamUrl: string,
  overrides: Partial<GuardConfig> = {},
  deps: Partial<GuardDeps> = {},
  policy = TEST_POLICY,
): Promise<Harness> {
  const dir = scratchDir('guard');
  const policyPath = join(dir, 'policy.yaml');
  writeFileSync(policyPath, policy);
  const sink = new PassThrough();
  let raw = '';
  const lines: Record<string, unknown>[] = [];
  sink.on('data', (chunk: Buffer) => {
    raw += chunk.toString('utf8');
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
  });
  const logger = createLogger({ service: 'bulwark-guard-test', stream: sink, level: 'debug' });
  const config: GuardConfig = {
    role: 'input',
    policyPath,
    upstreamUrl,
    listen: { host: '127.0.0.1', port: 0 },
    adminListen: { host: '127.0.0.1', port: 0 },
    outputScan: 'on',
    maxRequestBytes: 64 * 1024,
    maxJsonDepth: 32,
    maxResponseBytes: 1024 * 1024,
    upstreamTimeoutMs: 2_000,
    maxConcurrency: 16,
    maxQueue: 64,
    queueTimeoutMs: 2_000,
    upstreamHealthPath: '/v1/models',
    watchDebounceMs: 20,
    ...overrides,
  };
  const guard = await startGuard(config, {
    compile: compileRulePolicy,
    injectCanary: injectTestCanary,
    logger,
    ...deps,
  });
  return { guard, url: `http://127.0.0.1:${guard.port}`, dir, policyPath, lines, rawLog: () => raw };
}
