// The informer's cache semantics, without an API server: the list/watch loop itself runs against the
// real control plane in test/integration/operator*.test.ts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../shared/logging.ts';
import { Informer } from './informer.ts';
import { type KObject, type KubeClient, knownResource } from './kube.ts';
import { keepOwnManagedFields, secretDigests, trimChild } from './reconciler.ts';

// Handler failures are logged; keep them out of the test output.
const log = createLogger({ service: 'test', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

function informer(): Informer {
  // Never started: only the store is exercised, so no client is needed.
  return new Informer({ client: {} as KubeClient, resource: knownResource('v1', 'ConfigMap')!, log });
}

const cm = (namespace: string, name: string, rv: string, data: Record<string, string> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, resourceVersion: rv },
  data,
});

function recorder(i: Informer) {
  const seen: string[] = [];
  i.on({
    add: (o) => seen.push(`add ${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (a, b) =>
      seen.push(
        `update ${b.metadata.namespace}/${b.metadata.name}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`,
      ),
    delete: (o) => seen.push(`delete ${o.metadata.namespace}/${o.metadata.name}`),
  });
  return seen;
}

describe('Informer store', () => {
  test('add, update only on a new resourceVersion, delete; get and list by namespace', () => {
    const i = informer();
    const seen = recorder(i);
    i.upsert(cm('a', 'x', '1'));
    i.upsert(cm('a', 'x', '1'));
    i.upsert(cm('a', 'x', '2'));
    i.upsert(cm('b', 'y', '3'));
    i.remove(cm('a', 'x', '2'));
    i.remove(cm('a', 'nope', '9'));
    assert.deepEqual(seen, ['add a/x@1', 'update a/x@1->2', 'add b/y@3', 'delete a/x']);
    assert.equal(i.get('a', 'x'), undefined);
    assert.equal(i.get('b', 'y')?.metadata.resourceVersion, '3');
    assert.deepEqual(
      i.list().map((o) => o.metadata.name),
      ['y'],
    );
    assert.deepEqual(i.list('a'), []);
    assert.equal(i.size(), 1);
  });

  test('a relist replaces one scope: missing objects are deleted, changed ones updated', () => {
    const i = informer();
    i.upsert(cm('a', 'keep', '1'));
    i.upsert(cm('a', 'gone', '1'));
    i.upsert(cm('b', 'other', '1'));
    const seen = recorder(i);
    i.replace('a', [cm('a', 'keep', '1'), cm('a', 'changed', '5')]);
    assert.deepEqual(seen, ['delete a/gone', 'add a/changed@5']);
    assert.ok(i.get('b', 'other'), 'other namespaces are not touched by a namespaced relist');
    i.replace(undefined, []);
    assert.equal(i.size(), 0, 'an all-namespaces relist clears everything');
  });

  test('cached objects are frozen, deeply', () => {
    const i = informer();
    i.upsert(cm('a', 'x', '1', { k: 'v' }));
    const cached = i.get('a', 'x')!;
    assert.throws(() => {
      (cached.data as Record<string, string>).k = 'changed';
    }, TypeError);
    assert.throws(() => {
      cached.metadata.name = 'y';
    }, TypeError);
  });

  test('a throwing handler does not stop the others', () => {
    const i = informer();
    i.on({
      add: () => {
        throw new Error('boom');
      },
    });
    const seen = recorder(i);
    i.upsert(cm('a', 'x', '1'));
    assert.deepEqual(seen, ['add a/x@1']);
  });
});

describe('secretDigests', () => {
  test('keeps metadata and replaces every value with its SHA-256', () => {
    const out = secretDigests({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'n',
        resourceVersion: '7',
        uid: 'u',
        managedFields: [{ manager: 'x' }],
      },
      data: { token: Buffer.from('hunter2').toString('base64') },
      type: 'Opaque',
    });
    assert.deepEqual(out.metadata, { name: 's', namespace: 'n', uid: 'u', resourceVersion: '7' });
    const digest = (out.data as Record<string, string>).token!;
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(out).includes(Buffer.from('hunter2').toString('base64')));
  });
});

describe('keepOwnManagedFields', () => {
  test("keeps only a digest of the operator's Apply entry, and is idempotent", () => {
    const obj: KObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 's',
        managedFields: [
          {
            manager: 'bulwark-operator',
            operation: 'Apply',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': {} },
          },
          { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:status': {} } },
        ],
      },
    };
    const once = keepOwnManagedFields(obj);
    assert.equal(once.metadata.managedFields?.length, 1);
    assert.equal(once.metadata.managedFields?.[0]?.fieldsType, 'bulwark/sha256');
    assert.deepEqual(keepOwnManagedFields(once), once);
    const other = keepOwnManagedFields({
      ...obj,
      metadata: { ...obj.metadata, managedFields: [{ ...obj.metadata.managedFields![0]!, fieldsV1: {} }] },
    });
    assert.notEqual(other.metadata.managedFields?.[0]?.fieldsV1, once.metadata.managedFields?.[0]?.fieldsV1);
  });
});

describe('trimChild', () => {
  test('keeps metadata, status, Deployment replicas and template metadata, policy ConfigMap data', () => {
    const dep = trimChild({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', annotations: { a: 'b' } },
      spec: {
        replicas: 2,
        selector: {},
        template: { metadata: { annotations: { h: '1' } }, spec: { containers: [] } },
      },
      status: { readyReplicas: 2 },
    });
    assert.deepEqual(dep.spec, { replicas: 2, template: { metadata: { annotations: { h: '1' } } } });
    assert.deepEqual(dep.status, { readyReplicas: 2 });
    assert.deepEqual(dep.metadata.annotations, { a: 'b' });
    const policyCm = trimChild({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'p', labels: { 'bulwark.dev/policy-hash': 'x' } },
      data: { 'policy.yaml': 'spec: {}' },
    });
    assert.deepEqual(policyCm.data, { 'policy.yaml': 'spec: {}' });
    const svc = trimChild({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [] },
    });
    assert.deepEqual(Object.keys(svc).sort(), ['apiVersion', 'kind', 'metadata']);
  });
});
