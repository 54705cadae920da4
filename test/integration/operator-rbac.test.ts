// Least privilege, checked by the API server's own authorizer: the rules in operator/rbac.ts are bound
// to a ServiceAccount exactly as the chart binds them (--namespaces mode), SubjectAccessReviews show
// what that account may and may not do, and an operator running with the account's token converges
// an LlmDeployment without a single 403, so the rules are also enough.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { type KObject, knownResource } from '../../operator/controller/kube.ts';
import type { Operator } from '../../operator/controller/operator.ts';
import { rbacObjects } from '../../operator/rbac.ts';
import { type Cluster, createTestNamespace, ensureCluster, type TestNamespace } from '../cluster/index.ts';
import {
  installTestCrds,
  llmObject,
  llmSpec,
  policyObject,
  readyForGeneration,
  regexPolicy,
  startOperator,
  User,
  waitForLlm,
} from './operator-support.ts';

let cluster: Cluster;
let managed: TestNamespace;
let other: TestNamespace;
let home: TestNamespace;
let user: User;
let operator: Operator | undefined;
const suffix = randomBytes(3).toString('hex');
const roleName = `bulwark-operator-test-${suffix}`;
let rbac: KObject[] = [];
let subject: string;

async function can(
  verb: string,
  resource: string,
  opts: { group?: string; namespace?: string; subresource?: string; name?: string } = {},
): Promise<boolean> {
  const review = await user.client.create({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: { name: '' },
    spec: {
      user: subject,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${home.name}`, 'system:authenticated'],
      resourceAttributes: {
        verb,
        resource,
        group: opts.group ?? '',
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      },
    },
  });
  return (review.status as { allowed?: boolean }).allowed === true;
}

/** A kubeconfig that authenticates as the ServiceAccount with a short-lived token (TokenRequest API). */
async function kubeConfigFor(namespace: string, name: string): Promise<KubeConfig> {
  const sa = knownResource('v1', 'ServiceAccount')!;
  const token = await user.client.request<{ status: { token: string } }>(
    'create',
    'serviceaccounts/token',
    'POST',
    user.client.path(sa, namespace, name, 'token'),
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const c = cluster.kc.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...c, name: 'test' }],
    users: [{ name: 'operator', token: token.status.token }],
    contexts: [{ name: 'operator', cluster: 'test', user: 'operator' }],
    currentContext: 'operator',
  });
  return kc;
}

before(async () => {
  cluster = await ensureCluster();
  await installTestCrds(cluster.kc);
  [managed, other, home] = await Promise.all([
    createTestNamespace(cluster.kc, 'rbac-managed'),
    createTestNamespace(cluster.kc, 'rbac-other'),
    createTestNamespace(cluster.kc, 'rbac-home'),
  ]);
  user = new User(cluster.kc);
  await user.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'bulwark-operator', namespace: home.name },
  });
  subject = `system:serviceaccount:${home.name}:bulwark-operator`;
  rbac = rbacObjects({
    name: roleName,
    serviceAccount: { name: 'bulwark-operator', namespace: home.name },
    namespaces: [managed.name],
    leaderElection: true,
  }) as KObject[];
  for (const obj of rbac) await user.apply(obj);
});

after(async () => {
  await operator?.stop();
  for (const obj of rbac.filter((o) => !o.metadata.namespace)) {
    await user.delete(knownResource(obj.apiVersion, obj.kind)!, '', obj.metadata.name);
  }
  await Promise.all([managed?.cleanup(), other?.cleanup(), home?.cleanup()]);
});

describe('operator RBAC against the real authorizer', { timeout: 180_000 }, () => {
  it('allows what the operator does in the namespaces it manages', async () => {
    const ns = managed.name;
    const allowed: [string, string, Parameters<typeof can>[2]][] = [
      ['list', 'secrets', { namespace: ns }],
      ['watch', 'secrets', { namespace: ns }],
      ['patch', 'deployments', { group: 'apps', namespace: ns }],
      ['create', 'deployments', { group: 'apps', namespace: ns }],
      ['delete', 'configmaps', { namespace: ns }],
      ['patch', 'llmdeployments', { group: 'bulwark.dev', namespace: ns, subresource: 'status' }],
      ['watch', 'guardrailpolicies', { group: 'bulwark.dev', namespace: ns }],
      ['create', 'events', { group: 'events.k8s.io', namespace: ns }],
      ['update', 'leases', { group: 'coordination.k8s.io', namespace: home.name }],
    ];
    for (const [verb, resource, opts] of allowed) {
      assert.equal(await can(verb, resource, opts), true, `${verb} ${resource} ${JSON.stringify(opts)}`);
    }
  });

  it('denies everything else: other namespaces, cluster-wide Secrets, single Secret reads, namespaces, pods', async () => {
    const ns = managed.name;
    const denied: [string, string, Parameters<typeof can>[2]][] = [
      ['list', 'secrets', { namespace: other.name }],
      ['list', 'secrets', {}],
      ['get', 'secrets', { namespace: ns, name: 'anything' }],
      ['get', 'secrets', { namespace: other.name, name: 'anything' }],
      ['delete', 'namespaces', { name: ns }],
      ['create', 'namespaces', {}],
      ['create', 'pods', { namespace: ns }],
      ['update', 'deployments', { group: 'apps', namespace: ns }],
      ['list', 'deployments', { group: 'apps', namespace: other.name }],
      ['patch', 'llmdeployments', { group: 'bulwark.dev', namespace: ns }],
      ['delete', 'llmdeployments', { group: 'bulwark.dev', namespace: ns }],
      ['create', 'clusterroles', { group: 'rbac.authorization.k8s.io' }],
      ['create', 'rolebindings', { group: 'rbac.authorization.k8s.io', namespace: ns }],
      ['update', 'leases', { group: 'coordination.k8s.io', namespace: ns }],
      ['get', 'customresourcedefinitions', { group: 'apiextensions.k8s.io' }],
    ];
    for (const [verb, resource, opts] of denied) {
      assert.equal(
        await can(verb, resource, opts),
        false,
        `${verb} ${resource} ${JSON.stringify(opts)} must be denied`,
      );
    }
  });

  it('is enough: the operator, running as that ServiceAccount, converges without a 403', async () => {
    const kc = await kubeConfigFor(home.name, 'bulwark-operator');
    operator = await startOperator(kc, {
      namespaces: [managed.name],
      leaderElect: true,
      leaderElectionNamespace: home.name,
      leaderElectionId: 'rbac-test',
    });
    await user.apply(policyObject(managed.name, 'p', regexPolicy('RBAC')));
    await user.apply(
      llmObject(
        managed.name,
        'llm',
        llmSpec('p', { outputCheck: { enabled: true }, autoscaling: { maxReplicas: 2 } }),
      ),
    );
    await waitForLlm(user, managed.name, 'llm', 'Ready', readyForGeneration, 90_000);
    const text = await operator.metrics.registry.getSingleMetricAsString(
      'bulwark_operator_api_requests_total',
    );
    const forbidden = text.split('\n').filter((l) => l.includes('code="403"'));
    assert.deepEqual(forbidden, [], 'no request was forbidden');
  });
});
