import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import winston from 'winston';
import { createLogger } from '../../shared/logging.ts';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';
import { type AuditEntry, createAuditSink, mergeOutput, promptDigest, writeAudit } from './index.ts';

function capture(level = 'info') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
  });
  return { logger: createLogger({ service: 'bulwark-guard-test', stream, level }), lines };
}

const record = (direction: 'input' | 'output', extra: Partial<AnalysisRecord> = {}): AnalysisRecord => ({
  direction,
  scores: { pii: 0.2 },
  malicious: false,
  identifiedThreats: [],
  actions: {},
  errors: [],
  latencyMs: 0.5,
  ...extra,
});

const entry: AuditEntry = {
  requestId: 'req-1',
  keyId: 'team-a',
  method: 'POST',
  path: '/v1/chat/completions',
  status: 200,
  decision: 'redacted',
  durationNs: 1_234_567n,
  analysis: [
    record('input', { identifiedThreats: ['pii'], actions: { pii: 'redact' } }),
    record('output'),
    record('output', { scores: { pii: 0.9 } }),
  ],
  policyName: 'default',
  policyHash: 'abc',
  promptSha256: promptDigest(['hello']),
  upstreamStatus: 200,
  role: 'input',
};

const withoutTimestamp = (line: string) => {
  const { '@timestamp': at, ...rest } = JSON.parse(line) as Record<string, unknown>;
  assert.match(String(at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return rest;
};

describe('audit sink', () => {
  it('writes the fields and values logger.info would, without going through logger.info', async () => {
    const fast = capture();
    const slow = capture();
    const sink = createAuditSink(fast.logger);
    fast.logger.info = () => assert.fail('the fast path calls no logger method');
    writeAudit(sink, entry);
    writeAudit((fields) => slow.logger.info('guard request', fields), entry);
    await new Promise((r) => setImmediate(r));
    assert.equal(fast.lines.length, 1);
    assert.deepEqual(withoutTimestamp(fast.lines[0]!), withoutTimestamp(slow.lines[0]!));
    const line = JSON.parse(fast.lines[0]!);
    assert.equal(line['service.name'], 'bulwark-guard-test');
    assert.equal(line['event.duration'], 1_234_567);
    assert.deepEqual(line['bulwark.analysis'].output.scores, { pii: 0.9 });
  });

  it('respects the logger level', async () => {
    const quiet = capture('warn');
    writeAudit(createAuditSink(quiet.logger), entry);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(quiet.lines, []);
  });

  it('falls back to logger.info for loggers it cannot mirror', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(c.toString('utf8').trim()));
    const logger = winston.createLogger({
      format: winston.format.simple(),
      transports: [new winston.transports.Stream({ stream })],
    });
    writeAudit(createAuditSink(logger), entry);
    await new Promise((r) => setImmediate(r));
    assert.match(lines[0] ?? '', /^info: guard request/);
  });
});

describe('mergeOutput', () => {
  it('takes the highest score and the union of threats, actions and errors', () => {
    const merged = mergeOutput([
      record('output', {
        identifiedThreats: ['secrets'],
        actions: { secrets: 'redact' },
        latencyMs: 1,
        scannerLatencyMs: { secrets: 0.5, pii: 0.25 },
      }),
      record('output', {
        scores: { pii: 0.7 },
        malicious: true,
        errors: ['urls'],
        latencyMs: 2,
        scannerLatencyMs: { pii: 0.5 },
      }),
    ]);
    assert.deepEqual(merged.scannerLatencyMs, { secrets: 0.5, pii: 0.75 });
    assert.deepEqual(merged.scores, { pii: 0.7 });
    assert.equal(merged.malicious, true);
    assert.deepEqual(merged.identifiedThreats, ['secrets']);
    assert.deepEqual(merged.errors, ['urls']);
    assert.equal(merged.latencyMs, 3);
  });
});
