import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ownedKinds } from './desired/index.ts';
import { clusterRules, leaderElectionRules, namespaceRules, rbacObjects } from './rbac.ts';

const allows = (rules: typeof namespaceRules, group: string, resource: string, verb: string) =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

describe('operator RBAC rules', () => {
  test('no wildcards anywhere', () => {
    for (const r of [...namespaceRules, ...clusterRules, ...leaderElectionRules]) {
      assert.ok(![...r.apiGroups, ...r.resources, ...r.verbs].includes('*'), JSON.stringify(r));
    }
  });

  test('every kind the builders emit can be applied, watched and pruned, in the right scope', () => {
    for (const k of ownedKinds) {
      const group = k.apiVersion.includes('/') ? k.apiVersion.split('/')[0]! : '';
      const rules = k.namespaced ? namespaceRules : clusterRules;
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete']) {
        assert.ok(allows(rules, group, k.resource, verb), `${verb} ${k.resource}`);
      }
      assert.ok(!allows(rules, group, k.resource, 'update'), `SSA needs no update on ${k.resource}`);
    }
  });

  test('Secrets are listed and watched only, never read one by one, written or granted cluster-wide', () => {
    assert.ok(allows(namespaceRules, '', 'secrets', 'list'));
    assert.ok(allows(namespaceRules, '', 'secrets', 'watch'));
    for (const verb of ['get', 'create', 'update', 'patch', 'delete']) {
      assert.ok(!allows(namespaceRules, '', 'secrets', verb), verb);
    }
    assert.ok(!allows(clusterRules, '', 'secrets', 'list'));
  });

  test('custom resources are read-only except their status, patched by server-side apply', () => {
    assert.ok(!allows(namespaceRules, 'bulwark.dev', 'llmdeployments', 'patch'));
    assert.ok(allows(namespaceRules, 'bulwark.dev', 'llmdeployments/status', 'patch'));
    assert.ok(!allows(namespaceRules, 'bulwark.dev', 'llmdeployments/status', 'update'));
  });

  test('rbacObjects binds per namespace when namespaces are given, cluster-wide otherwise', () => {
    const sa = { name: 'op', namespace: 'bulwark-system' };
    const scoped = rbacObjects({
      name: 'bulwark',
      serviceAccount: sa,
      namespaces: ['a', 'b'],
      leaderElection: true,
    });
    const kinds = scoped.map((o) => `${o.kind}:${(o.metadata as { namespace?: string }).namespace ?? ''}`);
    assert.ok(kinds.includes('RoleBinding:a') && kinds.includes('RoleBinding:b'));
    assert.ok(kinds.includes('Role:bulwark-system'));
    const bindings = scoped.filter((o) => o.kind === 'ClusterRoleBinding');
    assert.ok(bindings.every((b) => (b.roleRef as { name: string }).name === 'bulwark-cluster'));
    const wide = rbacObjects({ name: 'bulwark', serviceAccount: sa });
    assert.ok(
      wide.some((o) => o.kind === 'ClusterRoleBinding' && (o.roleRef as { name: string }).name === 'bulwark'),
    );
    assert.ok(!wide.some((o) => o.kind === 'Role'));
  });
});
