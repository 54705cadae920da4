import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logging.ts';

test('log lines are JSON with ECS field names', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk) => lines.push(...String(chunk).trim().split('\n')));
  const logger = createLogger({ service: 'bulwark-test', stream });
  logger.info('reconciled', { 'event.action': 'reconcile', key: 'ns/name' });
  await new Promise((resolve) => setImmediate(resolve));
  const line = JSON.parse(lines[0]!);
  assert.equal(line.message, 'reconciled');
  assert.equal(line['log.level'], 'info');
  assert.equal(line['service.name'], 'bulwark-test');
  assert.equal(line['event.action'], 'reconcile');
  assert.equal(line.key, 'ns/name');
  assert.ok(!Number.isNaN(Date.parse(line['@timestamp'])));
});
