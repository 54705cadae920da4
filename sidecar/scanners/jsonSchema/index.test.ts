import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { jsonSchema } from './index.ts';

const ctx = (responseFormat?: unknown): ScanContext => ({
  direction: 'output',
  state: { requestId: 'r', vault: new Map(), ...(responseFormat !== undefined ? { responseFormat } : {}) },
});
const schema = {
  type: 'object',
  properties: { answer: { type: 'integer' } },
  required: ['answer'],
  additionalProperties: false,
};

describe('jsonSchema', () => {
  it('validates against params.schema', async () => {
    const s = jsonSchema({ schema });
    assert.equal((await s.scan('{"answer": 42}', ctx())).score, 0);
    assert.deepEqual(
      (await s.scan('{"answer": "42"}', ctx())).findings.map((f) => f.kind),
      ['json:/answer type'],
    );
    assert.deepEqual(
      (await s.scan('{"answer": 42', ctx())).findings.map((f) => f.kind),
      ['json:invalid'],
    );
  });

  it('validates against the request’s response_format json_schema', async () => {
    const s = jsonSchema();
    const rf = { type: 'json_schema', json_schema: { name: 'a', strict: true, schema } };
    assert.equal((await s.scan('{"answer": 1}', ctx(rf))).score, 0);
    assert.equal((await s.scan('{"answer": 1, "extra": true}', ctx(rf))).score, 1);
  });

  it('json_object requires an object; no response_format means nothing to check', async () => {
    const s = jsonSchema();
    assert.equal((await s.scan('{"a": 1}', ctx({ type: 'json_object' }))).score, 0);
    assert.equal((await s.scan('[1, 2]', ctx({ type: 'json_object' }))).score, 1);
    assert.equal((await s.scan('not json at all', ctx())).score, 0);
    assert.equal((await s.scan('not json at all', ctx({ type: 'text' }))).score, 0);
  });

  it('judges complete texts only', () => {
    assert.equal(jsonSchema().scope, 'complete');
  });
});
