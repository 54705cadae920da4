import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configMapDigests, dataChanged, datasetRefOf } from './datasets.ts';
import type { KObject } from './kube.ts';

const cm = (data: Record<string, string>, labels?: Record<string, string>): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'ds', namespace: 'ns', uid: 'u', resourceVersion: '7', ...(labels ? { labels } : {}) },
  data,
});

describe('validation datasets', () => {
  it('caches digests of the values, never the prompts', () => {
    const out = configMapDigests(cm({ 'dataset.jsonl': '{"text":"secret prompt","label":"benign"}' }));
    const value = (out.data as Record<string, string>)['dataset.jsonl'] ?? '';
    assert.match(value, /^[0-9a-f]{16}$/);
    assert.ok(!JSON.stringify(out).includes('secret prompt'));
    assert.deepEqual(out.metadata, { name: 'ds', namespace: 'ns', uid: 'u', resourceVersion: '7' });
  });

  it('tells a data change from a label change', () => {
    const a = configMapDigests(cm({ k: 'one' }));
    assert.equal(dataChanged(a, configMapDigests(cm({ k: 'one' }, { team: 'x' }))), false);
    assert.equal(dataChanged(a, configMapDigests(cm({ k: 'two' }))), true);
  });

  it("reads a policy's dataset reference with the schema's default key", () => {
    const policy = (validation?: unknown): KObject => ({
      apiVersion: 'bulwark.dev/v1alpha1',
      kind: 'GuardrailPolicy',
      metadata: { name: 'p', namespace: 'ns' },
      spec: validation ? { validation } : {},
    });
    assert.deepEqual(datasetRefOf(policy({ datasetRef: { name: 'ds' } })), {
      name: 'ds',
      key: 'dataset.jsonl',
    });
    assert.deepEqual(datasetRefOf(policy({ datasetRef: { name: 'ds', key: 'p.jsonl' } })), {
      name: 'ds',
      key: 'p.jsonl',
    });
    assert.equal(datasetRefOf(policy()), undefined);
  });
});
