// The operator against the real local control plane (kube-apiserver, etcd, kube-controller-manager,
// kube-scheduler, kwok nodes): it runs in-process, watches one fresh namespace that enforces Pod Security
// `restricted`, and every assertion reads what the API server holds.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Annotation, ContainerName, Label, Reason } from '../../operator/constants.ts';
import { waitFor } from '../cluster/index.ts';
import {
  condition,
  containerNames,
  isTrue,
  llmObject,
  llmSpec,
  operatorTestbed,
  podTemplateAnnotations,
  policyObject,
  R,
  readyForGeneration,
  regexPolicy,
  secretObject,
  waitForLlm,
} from './operator-support.ts';

const bed = operatorTestbed('operator');

const byInstance = (name: string) => `${Label.instance}=${name}`;

async function replicaSets(name: string) {
  return bed.user.list(R.replicaSet, bed.ns.name, byInstance(name));
}

describe('operator on a real control plane', { timeout: 240_000 }, () => {
  it('creates every child and reports Ready once the kwok pods are ready', async () => {
    await bed.user.apply(policyObject(bed.ns.name, 'base', regexPolicy('ACME')));
    await bed.user.apply(llmObject(bed.ns.name, 'chat', llmSpec('base')));
    const llm = await waitForLlm(bed.user, bed.ns.name, 'chat', 'Ready=True', readyForGeneration);

    const dep = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    assert.ok(dep, 'Deployment');
    assert.deepEqual(containerNames(dep).sort(), [ContainerName.guard, ContainerName.model].sort());
    for (const [r, name] of [
      [R.service, 'chat'],
      [R.serviceAccount, 'chat-llm'],
      [R.networkPolicy, 'chat'],
      [R.pdb, 'chat'],
    ] as const) {
      const child = await bed.user.get(r, bed.ns.name, name);
      assert.ok(child, `${r.kind}/${name}`);
      assert.equal(child.metadata.labels?.[Label.managedBy], 'bulwark');
      assert.equal(child.metadata.ownerReferences?.[0]?.uid, llm.metadata.uid, `${r.kind} is owned`);
      const managers = child.metadata.managedFields?.map((m) => m.manager);
      assert.ok(
        managers?.includes('bulwark-operator'),
        `${r.kind} applied under the operator's field manager`,
      );
    }

    const status = llm.status as {
      policy?: { name: string; hash: string };
      endpoint?: string;
      readyReplicas?: number;
    };
    const hash = podTemplateAnnotations(dep)[Annotation.policyHash];
    assert.match(hash ?? '', /^[0-9a-f]{16}$/);
    assert.deepEqual(status.policy, { name: 'base', hash });
    assert.equal(status.readyReplicas, 1);
    assert.match(status.endpoint ?? '', /^http:\/\/chat\..*\.svc:8080/);
    const cms = await bed.user.list(R.configMap, bed.ns.name, `${Label.policyHash}=${hash}`);
    assert.equal(cms.length, 1, 'one immutable policy ConfigMap named by the hash');
    for (const type of ['Ready', 'PolicyValid']) assert.equal(condition(llm, type)?.status, 'True', type);
    assert.equal(condition(llm, 'Degraded')?.status, 'False');
    assert.equal(condition(llm, 'Progressing')?.status, 'False');

    const policy = await bed.user.get(R.policy, bed.ns.name, 'base');
    assert.ok(isTrue(policy, 'Valid'), 'the GuardrailPolicy reports Valid=True');
    assert.equal((policy?.status as { hash?: string } | undefined)?.hash, hash);
  });

  it('rolls out a policy change: new ReplicaSet, new template hash, status moves after the rollout', async () => {
    const before = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    const oldHash = podTemplateAnnotations(before)[Annotation.policyHash];
    const rsBefore = (await replicaSets('chat')).length;

    await bed.user.apply(policyObject(bed.ns.name, 'base', regexPolicy('GLOBEX')));
    const llm = await waitForLlm(bed.user, bed.ns.name, 'chat', 'the new policy rolled out', (l) => {
      const p = (l.status as { policy?: { hash: string } }).policy;
      return p !== undefined && p.hash !== oldHash && readyForGeneration(l);
    });
    const dep = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    const newHash = podTemplateAnnotations(dep)[Annotation.policyHash];
    assert.notEqual(newHash, oldHash);
    assert.equal((llm.status as { policy: { hash: string } }).policy.hash, newHash);
    assert.equal((await replicaSets('chat')).length, rsBefore + 1, 'a new ReplicaSet for the new template');
    const policyCms = await bed.user.list(
      R.configMap,
      bed.ns.name,
      `${byInstance('chat')},${Label.policyHash}`,
    );
    assert.deepEqual(
      policyCms.map((c) => c.metadata.labels?.[Label.policyHash]).sort(),
      [oldHash, newHash].sort(),
      'the previous policy ConfigMap is kept for rollback',
    );
  });

  it('refuses an invalid policy: nothing rolls, PolicyValid=False on both objects, a Warning event', async () => {
    const dep = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    const generation = dep?.metadata.generation;
    const hash = podTemplateAnnotations(dep)[Annotation.policyHash];

    // Accepted by the API server (a string pattern), rejected by the operator (does not compile).
    await bed.user.apply(
      policyObject(bed.ns.name, 'base', { input: [{ type: 'regex', params: { patterns: ['(unclosed'] } }] }),
    );
    const llm = await waitForLlm(
      bed.user,
      bed.ns.name,
      'chat',
      'PolicyValid=False',
      (l) => condition(l, 'PolicyValid')?.status === 'False',
    );
    assert.equal(condition(llm, 'PolicyValid')?.reason, Reason.PolicyInvalid);
    assert.match(condition(llm, 'PolicyValid')?.message ?? '', /invalid regular expression/);
    assert.equal(condition(llm, 'Degraded')?.status, 'True');
    assert.equal(condition(llm, 'Ready')?.status, 'True', 'the pods keep serving the last valid policy');

    const policy = await waitFor('Valid=False on the GuardrailPolicy', async () => {
      const p = await bed.user.get(R.policy, bed.ns.name, 'base');
      return condition(p, 'Valid')?.status === 'False' ? p : undefined;
    });
    assert.equal(
      (policy.status as { hash?: string }).hash,
      hash,
      'status.hash still names the last valid spec',
    );

    await waitFor('a PolicyRejected Warning event', async () => {
      const events = await bed.user.list(R.event, bed.ns.name);
      return events.find(
        (e) => e.reason === 'PolicyRejected' && (e.regarding as { name?: string }).name === 'chat',
      );
    });
    // Give a wrongly-rolling operator time to show it: the Deployment must stay as it was.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    assert.equal(after?.metadata.generation, generation, 'the Deployment was not changed');
    assert.equal(podTemplateAnnotations(after)[Annotation.policyHash], hash);

    // Fixing it clears the conditions.
    await bed.user.apply(policyObject(bed.ns.name, 'base', regexPolicy('GLOBEX')));
    await waitForLlm(
      bed.user,
      bed.ns.name,
      'chat',
      'PolicyValid=True again',
      (l) => isTrue(l, 'PolicyValid') && !isTrue(l, 'Degraded'),
    );
  });

  it('keeps the current policy ConfigMap and the 3 before it, deleting older ones after each rollout', async () => {
    const first = podTemplateAnnotations(await bed.user.get(R.deployment, bed.ns.name, 'chat'))[
      Annotation.policyHash
    ];
    const hashes: string[] = [];
    for (const word of ['V1', 'V2', 'V3']) {
      await bed.user.apply(policyObject(bed.ns.name, 'base', regexPolicy(word)));
      const llm = await waitForLlm(bed.user, bed.ns.name, 'chat', `policy ${word} rolled out`, (l) => {
        const p = (l.status as { policy?: { hash: string } }).policy;
        return p !== undefined && p.hash !== (hashes.at(-1) ?? first) && readyForGeneration(l);
      });
      hashes.push((llm.status as { policy: { hash: string } }).policy.hash);
    }
    // ACME (the first test's), GLOBEX, V1, V2, V3: the oldest of the five goes.
    const kept = await waitFor('the oldest policy ConfigMap to be pruned', async () => {
      const cms = await bed.user.list(R.configMap, bed.ns.name, `${byInstance('chat')},${Label.policyHash}`);
      return cms.length === 4 ? cms : undefined;
    });
    const keptHashes = kept.map((c) => c.metadata.labels?.[Label.policyHash]);
    for (const h of [first, ...hashes]) assert.ok(keptHashes.includes(h), `${h} kept`);
  });

  it('serves /healthz and /readyz, and /metrics on its own port', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`http://127.0.0.1:${bed.operator.healthPort}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(await res.text(), /ok\n$/);
    }
    assert.equal((await fetch(`http://127.0.0.1:${bed.operator.healthPort}/metrics`)).status, 404);
    const metrics = await (await fetch(`http://127.0.0.1:${bed.operator.metricsPort}/metrics`)).text();
    for (const name of [
      'bulwark_operator_reconcile_total',
      'bulwark_operator_reconcile_duration_seconds_bucket',
      'bulwark_operator_workqueue_depth',
      'bulwark_operator_workqueue_retries_total',
      'bulwark_operator_api_requests_total',
    ]) {
      assert.ok(metrics.includes(name), name);
    }
  });

  it('reports a missing Secret without creating pods, then rolls the pods when the Secret rotates', async () => {
    await bed.user.apply(
      llmObject(
        bed.ns.name,
        'secretive',
        llmSpec('base', { secrets: [{ secretName: 'hf', key: 'token', env: 'HF_TOKEN' }] }),
      ),
    );
    const waiting = await waitForLlm(
      bed.user,
      bed.ns.name,
      'secretive',
      'SecretNotFound',
      (l) => condition(l, 'Ready')?.reason === Reason.SecretNotFound,
    );
    assert.match(condition(waiting, 'Ready')?.message ?? '', /Secret hf .* not found/);
    assert.equal(
      await bed.user.get(R.deployment, bed.ns.name, 'secretive'),
      undefined,
      'no pods that would crash-loop',
    );

    await bed.user.apply(secretObject(bed.ns.name, 'hf', { token: 'v1' }));
    await waitForLlm(
      bed.user,
      bed.ns.name,
      'secretive',
      'Ready after the Secret appeared',
      readyForGeneration,
    );
    const before = await bed.user.get(R.deployment, bed.ns.name, 'secretive');
    const hashBefore = podTemplateAnnotations(before)[Annotation.secretsHash];
    assert.ok(hashBefore);

    await bed.user.apply(secretObject(bed.ns.name, 'hf', { token: 'v2' }));
    const dep = await waitFor('a new secrets hash on the pod template', async () => {
      const d = await bed.user.get(R.deployment, bed.ns.name, 'secretive');
      const h = podTemplateAnnotations(d)[Annotation.secretsHash];
      return h && h !== hashBefore ? d : undefined;
    });
    assert.ok((dep.metadata.generation ?? 0) > (before?.metadata.generation ?? 0));
    await waitFor('a second ReplicaSet (rolling restart)', async () =>
      (await replicaSets('secretive')).length >= 2 ? true : undefined,
    );
    await waitForLlm(bed.user, bed.ns.name, 'secretive', 'Ready after the rotation', readyForGeneration);
  });

  it('adds and removes the output-check container, and prunes what it no longer wants', async () => {
    await bed.user.apply(
      llmObject(
        bed.ns.name,
        'chat',
        llmSpec('base', { outputCheck: { enabled: true }, autoscaling: { minReplicas: 1, maxReplicas: 3 } }),
      ),
    );
    await waitForLlm(bed.user, bed.ns.name, 'chat', 'Ready with the output check', readyForGeneration);
    let dep = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    assert.ok(containerNames(dep).includes(ContainerName.outputCheck));
    assert.ok(await bed.user.get(R.hpa, bed.ns.name, 'chat'), 'HorizontalPodAutoscaler created');

    await bed.user.apply(llmObject(bed.ns.name, 'chat', llmSpec('base')));
    await waitForLlm(bed.user, bed.ns.name, 'chat', 'Ready without the output check', readyForGeneration);
    dep = await bed.user.get(R.deployment, bed.ns.name, 'chat');
    assert.ok(!containerNames(dep).includes(ContainerName.outputCheck), 'container removed');
    await waitFor('the HPA to be pruned', async () =>
      (await bed.user.get(R.hpa, bed.ns.name, 'chat')) ? undefined : true,
    );
  });

  it('never touches an object of the same name that Bulwark does not manage', async () => {
    const foreign = await bed.user.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'taken', namespace: bed.ns.name, labels: { owner: 'someone-else' } },
      spec: { ports: [{ port: 80 }], selector: { app: 'other' } },
    });
    await bed.user.apply(llmObject(bed.ns.name, 'taken', llmSpec('base')));
    const llm = await waitForLlm(
      bed.user,
      bed.ns.name,
      'taken',
      'Degraded OwnershipConflict',
      (l) => condition(l, 'Degraded')?.reason === Reason.OwnershipConflict,
    );
    assert.match(condition(llm, 'Degraded')?.message ?? '', /Service\/taken/);
    assert.equal(condition(llm, 'Ready')?.status, 'False');
    const after = await bed.user.get(R.service, bed.ns.name, 'taken');
    assert.equal(
      after?.metadata.resourceVersion,
      foreign.metadata.resourceVersion,
      'the foreign Service is untouched',
    );
    assert.equal(
      await bed.user.get(R.deployment, bed.ns.name, 'taken'),
      undefined,
      'no pods behind a Service we do not control',
    );
  });

  it('lets the garbage collector remove the children when the LlmDeployment is deleted', async () => {
    await bed.user.delete(R.llm, bed.ns.name, 'secretive');
    await waitFor(
      'children of secretive to be garbage-collected',
      async () => {
        const left = [
          ...(await bed.user.list(R.deployment, bed.ns.name, byInstance('secretive'))),
          ...(await bed.user.list(R.configMap, bed.ns.name, byInstance('secretive'))),
          ...(await bed.user.list(R.service, bed.ns.name, byInstance('secretive'))),
        ];
        return left.length === 0 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });
});
