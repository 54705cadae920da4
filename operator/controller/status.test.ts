import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Annotation, EventReason, Reason } from '../constants.ts';
import { findCondition } from './conditions.ts';
import type { KObject } from './kube.ts';
import {
  computeConditions,
  computeStatus,
  type DeploymentFacts,
  deploymentFacts,
  type LlmFacts,
  rolloutComplete,
  transitionEvents,
} from './status.ts';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

const done: DeploymentFacts = {
  generation: 3,
  observedGeneration: 3,
  desiredReplicas: 2,
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  progressDeadlineExceeded: false,
  policyHash: 'h1',
  policyName: 'p',
};

function facts(over: Partial<LlmFacts> = {}): LlmFacts {
  return {
    generation: 7,
    policy: { name: 'p', state: 'valid', message: 'ok', hash: 'h1' },
    deployedPolicy: { name: 'p', hash: 'h1' },
    missingSecrets: [],
    conflicts: [],
    applyErrors: [],
    deployment: done,
    endpoint: 'http://llm.ns.svc:8080',
    ...over,
  };
}

const cond = (f: LlmFacts, type: string) => computeConditions(f).find((c) => c.type === type)!;

describe('deploymentFacts', () => {
  test('reads spec, status and the pod-template policy annotations', () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', generation: 4 },
      spec: {
        replicas: 3,
        template: {
          metadata: { annotations: { [Annotation.policyHash]: 'abc', [Annotation.policyName]: 'p' } },
        },
      },
      status: {
        observedGeneration: 4,
        replicas: 4,
        updatedReplicas: 2,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    } as KObject;
    assert.deepEqual(deploymentFacts(dep), {
      generation: 4,
      observedGeneration: 4,
      desiredReplicas: 3,
      replicas: 4,
      updatedReplicas: 2,
      readyReplicas: 3,
      availableReplicas: 3,
      progressDeadlineExceeded: true,
      policyHash: 'abc',
      policyName: 'p',
    });
  });

  test('defaults a fresh Deployment to one desired replica and nothing observed', () => {
    const f = deploymentFacts({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', generation: 1 },
    });
    assert.equal(f.desiredReplicas, 1);
    assert.equal(f.observedGeneration, 0);
    assert.equal(rolloutComplete(f), false);
  });
});

describe('rolloutComplete', () => {
  test('needs the newest generation observed, all replicas updated and available, no old ones', () => {
    assert.equal(rolloutComplete(done), true);
    assert.equal(rolloutComplete({ ...done, observedGeneration: 2 }), false);
    assert.equal(rolloutComplete({ ...done, updatedReplicas: 1 }), false);
    assert.equal(rolloutComplete({ ...done, replicas: 3 }), false, 'an old pod is still there (surge)');
    assert.equal(rolloutComplete({ ...done, availableReplicas: 1 }), false);
    assert.equal(
      rolloutComplete({ ...done, desiredReplicas: 0, replicas: 0, updatedReplicas: 0, availableReplicas: 0 }),
      true,
    );
  });
});

describe('Ready chain', () => {
  test('all checks pass → Ready=True Available, Progressing=False, Degraded=False, PolicyValid=True', () => {
    const c = computeConditions(facts());
    assert.deepEqual(
      c.map((x) => [x.type, x.status, x.reason]),
      [
        ['Ready', 'True', Reason.Available],
        ['Progressing', 'False', Reason.RolloutComplete],
        ['Degraded', 'False', Reason.AsExpected],
        ['PolicyValid', 'True', Reason.PolicyValid],
      ],
    );
    assert.ok(c.every((x) => x.observedGeneration === 7));
  });

  const cases: [string, Partial<LlmFacts>, string][] = [
    ['invalid spec', { specInvalid: 'bad' }, Reason.InvalidSpec],
    ['missing policy', { policy: { name: 'p', state: 'missing', message: 'gone' } }, Reason.PolicyNotFound],
    [
      'invalid policy and nothing deployed before',
      {
        policy: { name: 'p', state: 'invalid', message: 'regex' },
        deployedPolicy: undefined,
        deployment: undefined,
      },
      Reason.PolicyInvalid,
    ],
    [
      'policy below its dataset gate and nothing deployed before',
      {
        policy: { name: 'p', state: 'invalid', message: 'gate', reason: Reason.ValidationFailed },
        deployedPolicy: undefined,
        deployment: undefined,
      },
      Reason.ValidationFailed,
    ],
    ['missing secret', { missingSecrets: ['Secret s not found'] }, Reason.SecretNotFound],
    ['foreign object', { conflicts: ['Service/x'] }, Reason.OwnershipConflict],
    ['apply error', { applyErrors: ['Deployment/x: 422'] }, Reason.ApplyFailed],
    ['no deployment yet', { deployment: undefined }, Reason.DeploymentPending],
    ['controller lagging', { deployment: { ...done, observedGeneration: 2 } }, Reason.DeploymentPending],
    [
      'deadline exceeded',
      { deployment: { ...done, progressDeadlineExceeded: true } },
      Reason.ProgressDeadlineExceeded,
    ],
    ['rolling', { deployment: { ...done, updatedReplicas: 1 } }, Reason.RolloutInProgress],
  ];
  for (const [name, over, reason] of cases) {
    test(`${name} → Ready=False ${reason}`, () => {
      const ready = cond(facts(over), 'Ready');
      assert.equal(ready.status, 'False');
      assert.equal(ready.reason, reason);
    });
  }

  test('the first failing check wins', () => {
    const ready = cond(
      facts({ missingSecrets: ['s'], conflicts: ['Service/x'], deployment: undefined }),
      'Ready',
    );
    assert.equal(ready.reason, Reason.SecretNotFound);
  });

  test('an invalid policy with a valid one still deployed keeps Ready but sets Degraded and PolicyValid=False', () => {
    const f = facts({ policy: { name: 'p', state: 'invalid', message: 'pattern 0: bad regex' } });
    assert.equal(cond(f, 'Ready').status, 'True');
    assert.deepEqual(
      [cond(f, 'Degraded').status, cond(f, 'Degraded').reason],
      ['True', Reason.PolicyInvalid],
    );
    const pv = cond(f, 'PolicyValid');
    assert.deepEqual(
      [pv.status, pv.reason, pv.message],
      ['False', Reason.PolicyInvalid, 'pattern 0: bad regex'],
    );
  });

  test('a policy refused by its dataset gate says so in PolicyValid and Degraded', () => {
    const f = facts({
      policy: {
        name: 'p',
        state: 'invalid',
        message: 'detection rate 0.5 < 0.9',
        reason: Reason.ValidationFailed,
      },
    });
    assert.deepEqual(
      [cond(f, 'PolicyValid').status, cond(f, 'PolicyValid').reason, cond(f, 'Degraded').reason],
      ['False', Reason.ValidationFailed, Reason.ValidationFailed],
    );
  });

  test('a missing policy leaves PolicyValid Unknown', () => {
    const pv = cond(facts({ policy: { name: 'p', state: 'missing', message: 'x' } }), 'PolicyValid');
    assert.deepEqual([pv.status, pv.reason], ['Unknown', Reason.PolicyNotFound]);
  });
});

describe('Progressing', () => {
  test('True while rolling, False with the deadline reason when stuck', () => {
    assert.equal(cond(facts({ deployment: { ...done, replicas: 3 } }), 'Progressing').status, 'True');
    const stuck = cond(
      facts({ deployment: { ...done, progressDeadlineExceeded: true, updatedReplicas: 1 } }),
      'Progressing',
    );
    assert.deepEqual([stuck.status, stuck.reason], ['False', Reason.ProgressDeadlineExceeded]);
  });

  test('True before the Deployment exists, unless something blocks creating it', () => {
    assert.equal(cond(facts({ deployment: undefined }), 'Progressing').status, 'True');
    const blocked = cond(facts({ deployment: undefined, missingSecrets: ['s'] }), 'Progressing');
    assert.deepEqual([blocked.status, blocked.reason], ['False', Reason.SecretNotFound]);
  });
});

describe('computeStatus', () => {
  test('copies replica counts and the endpoint, and reports the rolled-out policy', () => {
    const s = computeStatus(facts(), undefined, T0);
    assert.equal(s.observedGeneration, 7);
    assert.deepEqual([s.replicas, s.readyReplicas, s.updatedReplicas], [2, 2, 2]);
    assert.deepEqual(s.policy, { name: 'p', hash: 'h1' });
    assert.equal(s.endpoint, 'http://llm.ns.svc:8080');
  });

  test('keeps reporting the old policy until the new template is rolled out', () => {
    const before = computeStatus(facts(), undefined, T0);
    const rolling = computeStatus(
      facts({
        deployment: { ...done, generation: 4, observedGeneration: 4, updatedReplicas: 1, policyHash: 'h2' },
      }),
      before,
      T1,
    );
    assert.deepEqual(rolling.policy, { name: 'p', hash: 'h1' });
    const after = computeStatus(facts({ deployment: { ...done, policyHash: 'h2' } }), rolling, T1);
    assert.deepEqual(after.policy, { name: 'p', hash: 'h2' });
  });

  test('an unchanged world gives an identical status, timestamps included', () => {
    const first = computeStatus(facts(), undefined, T0);
    const second = computeStatus(facts(), first, T1);
    assert.deepEqual(second, first);
  });

  test('a status flip moves only that condition’s lastTransitionTime', () => {
    const first = computeStatus(facts(), undefined, T0);
    const second = computeStatus(facts({ deployment: { ...done, updatedReplicas: 1 } }), first, T1);
    assert.equal(findCondition(second.conditions, 'Ready')?.lastTransitionTime, T1);
    assert.equal(findCondition(second.conditions, 'PolicyValid')?.lastTransitionTime, T0);
  });
});

describe('transitionEvents', () => {
  test('warns once when the policy turns invalid, not again while it stays so', () => {
    const ok = computeStatus(facts(), undefined, T0);
    const bad = computeStatus(facts({ policy: { name: 'p', state: 'invalid', message: 'bad' } }), ok, T1);
    assert.deepEqual(
      transitionEvents(ok, bad).map((e) => [e.type, e.reason]),
      [['Warning', EventReason.PolicyRejected]],
    );
    const stillBad = computeStatus(
      facts({ policy: { name: 'p', state: 'invalid', message: 'bad' } }),
      bad,
      T1,
    );
    assert.deepEqual(transitionEvents(bad, stillBad), []);
  });

  test('reports missing secrets, conflicts and a completed policy rollout', () => {
    const ok = computeStatus(facts(), undefined, T0);
    const missing = computeStatus(facts({ missingSecrets: ['Secret s not found'] }), ok, T1);
    assert.deepEqual(
      transitionEvents(ok, missing).map((e) => e.reason),
      [EventReason.SecretNotFound],
    );
    const conflict = computeStatus(facts({ conflicts: ['Service/x'] }), ok, T1);
    assert.ok(transitionEvents(ok, conflict).some((e) => e.reason === EventReason.OwnershipConflict));
    const rolled = computeStatus(facts({ deployment: { ...done, policyHash: 'h2' } }), ok, T1);
    assert.deepEqual(
      transitionEvents(ok, rolled).map((e) => [e.type, e.reason]),
      [['Normal', EventReason.PolicyRolledOut]],
    );
  });

  test('the first status of a healthy deployment emits nothing: creation is not a policy change', () => {
    const first = computeStatus(facts(), undefined, T0);
    assert.deepEqual(transitionEvents(undefined, first), []);
  });
});
