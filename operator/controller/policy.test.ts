import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reason } from '../constants.ts';
import type { KObject } from './kube.ts';
import { createPolicyValidator } from './policy.ts';

function policy(spec: Record<string, unknown>, uid = 'u1'): KObject {
  return {
    apiVersion: 'bulwark.dev/v1alpha1',
    kind: 'GuardrailPolicy',
    metadata: { name: 'p', namespace: 'ns', uid, generation: 1, managedFields: [{ manager: 'kubectl' }] },
    spec,
    status: { conditions: [{ type: 'Valid', status: 'True' }] },
  };
}

const regex = (pattern: string) => ({ input: [{ type: 'regex', params: { patterns: [pattern] } }] });

describe('createPolicyValidator', () => {
  test('accepts a valid policy and returns it defaulted with its hash', async () => {
    const v = await createPolicyValidator().validate(policy(regex('\\bACME-[0-9]{6}\\b')));
    assert.ok(v.valid);
    assert.match(v.policy.hash, /^[0-9a-f]{16}$/);
    assert.equal(v.policy.spec.failMode, 'closed');
    assert.equal(v.policy.spec.input[0]?.action, 'block');
  });

  test('rejects what the API server lets through: a regex that does not compile, a misplaced parameter', async () => {
    const bad = await createPolicyValidator().validate(policy(regex('(unclosed')));
    assert.equal(bad.valid, false);
    assert.ok(!bad.valid && bad.reason === Reason.PolicyInvalid);
    assert.match(
      bad.valid ? '' : bad.message,
      /spec\.input\.0\.params\.patterns\.0: invalid regular expression/,
    );
    const misplaced = await createPolicyValidator().validate(
      policy({ input: [{ type: 'pii', params: { maxDepth: 2 } }] }),
    );
    assert.match(misplaced.valid ? '' : misplaced.message, /has no parameter maxDepth/);
  });

  test('the compile hook can reject a policy', async () => {
    const v = await createPolicyValidator({
      compile: () => {
        throw new Error('scanner x missing');
      },
    }).validate(policy({}));
    assert.deepEqual(v.valid ? undefined : [v.reason, v.message], [
      Reason.PolicyInvalid,
      'scanners cannot be built: scanner x missing',
    ]);
  });

  describe('dataset gate', () => {
    const gated = {
      ...regex('x'),
      validation: { datasetRef: { name: 'ds' }, minDetectionRate: 0.9, maxFalsePositiveRate: 0.05 },
    };
    const figures = (tpr: number, fpr: number) => ({
      n: 100,
      tpr,
      fpr,
      precision: 1,
      f1: 1,
      evaluatedAt: '2025-01-01T00:00:00Z',
    });

    test('without a gate implementation the policy passes and says the gate was not run', async () => {
      const v = await createPolicyValidator().validate(policy(gated));
      assert.ok(v.valid);
      assert.match(v.message, /dataset gate is not available/);
    });

    test('reads the dataset ConfigMap key and passes when the figures meet the thresholds', async () => {
      const reads: string[] = [];
      const v = await createPolicyValidator({
        readDataset: async (ns, name, key) => {
          reads.push(`${ns}/${name}:${key}`);
          return '{"text":"a","label":"benign"}\n';
        },
        datasetGate: async () => figures(0.95, 0.01),
      }).validate(policy(gated));
      assert.deepEqual(reads, ['ns/ds:dataset.jsonl']);
      assert.ok(v.valid);
      assert.equal(v.evaluation?.tpr, 0.95);
    });

    test('evaluates again when the dataset changes, and only then', async () => {
      let version = 'v1';
      let runs = 0;
      const v = createPolicyValidator({
        readDataset: async () => 'x',
        datasetVersion: (ns, name, key) =>
          `${ns}/${name}:${key}` === 'ns/ds:dataset.jsonl' ? version : undefined,
        datasetGate: async () => {
          runs++;
          return figures(runs === 1 ? 0.95 : 0.5, 0.01);
        },
      });
      assert.ok((await v.validate(policy(gated))).valid);
      assert.ok((await v.validate(policy(gated))).valid);
      assert.equal(runs, 1, 'same dataset version: cached');
      version = 'v2';
      const after = await v.validate(policy(gated));
      assert.equal(runs, 2);
      assert.equal(after.valid ? '' : after.reason, Reason.ValidationFailed);
    });

    test('fails with ValidationFailed below the thresholds or without the dataset', async () => {
      const low = await createPolicyValidator({
        readDataset: async () => 'x',
        datasetGate: async () => figures(0.5, 0.2),
      }).validate(policy(gated));
      assert.ok(!low.valid);
      assert.equal(low.valid ? '' : low.reason, Reason.ValidationFailed);
      assert.match(
        low.valid ? '' : low.message,
        /detection rate 0\.500 < 0\.9, false positive rate 0\.200 > 0\.05/,
      );
      const missing = await createPolicyValidator({
        readDataset: async () => undefined,
        datasetGate: async () => figures(1, 0),
      }).validate(policy(gated));
      assert.match(missing.valid ? '' : missing.message, /ConfigMap ds .* not found/);
    });
  });

  test('concurrent validations of one policy share a single run; a gate that cannot run is a failed verdict', async () => {
    let runs = 0;
    let fail = true;
    const v = createPolicyValidator({
      compile: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
      },
      datasetGate: async () => {
        if (fail) throw new Error('transient');
        return { n: 1, tpr: 1, fpr: 0, precision: 1, f1: 1, evaluatedAt: 'now' };
      },
      readDataset: async () => 'x',
    });
    await Promise.all(Array.from({ length: 10 }, () => v.validate(policy(regex('a')))));
    assert.equal(runs, 1);
    const gated = { ...regex('b'), validation: { datasetRef: { name: 'ds' } } };
    const first = await v.validate(policy(gated));
    assert.match(first.valid ? '' : first.message, /could not evaluate the policy: transient/);
    fail = false;
    assert.equal((await v.validate(policy(gated))).valid, false, 'a verdict (even a failed gate) is cached');
  });

  test('caches verdicts by uid and spec, ignoring status and metadata churn', async () => {
    let runs = 0;
    const v = createPolicyValidator({
      compile: () => {
        runs++;
      },
    });
    await v.validate(policy(regex('a')));
    const touched = policy(regex('a'));
    touched.metadata.resourceVersion = '99';
    touched.status = {};
    await v.validate(touched);
    assert.equal(runs, 1);
    await v.validate(policy(regex('b')));
    await v.validate(policy(regex('a'), 'other-uid'));
    assert.equal(runs, 3);
  });
});
