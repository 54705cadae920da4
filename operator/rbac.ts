// Exactly what the operator does with the Kubernetes API, as RBAC rules. The chart's ClusterRoles are
// generated from these arrays (test/delivery/chart.test.ts compares them), and
// test/integration/operator-rbac.test.ts binds them to a ServiceAccount, runs the operator as it, and
// asks the API server (SubjectAccessReview) that nothing more is allowed.
//
// Every exported array is a rule list; keep helpers unexported or non-array.
//
// Where each verb comes from (operator/controller/):
// - informers list+watch every kind they cache; nothing is read with GET except children missing from the
//   cache (to tell "new" from "someone else's object of that name") and a policy's validation dataset;
// - server-side apply is PATCH, and creating through it also needs `create`
//   (https://kubernetes.io/docs/reference/using-api/server-side-apply/#using-server-side-apply-in-a-controller);
// - pruning deletes; status is written with server-side apply on the status subresource (patch);
// - Secrets are only listed and watched (their values are reduced to digests in the informer), never
//   read one by one and never outside the managed namespaces;
// - optional CRDs are detected through API discovery, which every authenticated client may read.
import { ownedKinds } from './desired/index.ts';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

function childRules(namespaced: boolean): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const k of ownedKinds) {
    if (k.namespaced !== namespaced) continue;
    const g = groupOf(k.apiVersion);
    byGroup.set(g, (byGroup.get(g) ?? new Set()).add(k.resource));
  }
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    resources: [...resources].sort(),
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  }));
}

/**
 * In every namespace the operator manages: one RoleBinding per namespace with `--namespaces`, or a
 * ClusterRoleBinding when it manages the whole cluster.
 */
export const namespaceRules: PolicyRule[] = [
  {
    apiGroups: ['bulwark.dev'],
    resources: ['llmdeployments', 'guardrailpolicies'],
    verbs: ['list', 'watch'],
  },
  {
    apiGroups: ['bulwark.dev'],
    resources: ['llmdeployments/status', 'guardrailpolicies/status'],
    verbs: ['patch'],
  },
  ...childRules(true),
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];

/** Cluster-scoped children (Security Profiles Operator profiles): need a ClusterRoleBinding in either mode. */
export const clusterRules: PolicyRule[] = childRules(false);

/** In the operator's own namespace, with `--leader-elect`. */
export const leaderElectionRules: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export interface RbacObjectsOptions {
  /** Prefix of the ClusterRole/Role names. */
  name: string;
  serviceAccount: { name: string; namespace: string };
  /** Managed namespaces; undefined or empty: the whole cluster. */
  namespaces?: readonly string[];
  leaderElection?: boolean;
}

/** The RBAC objects for one installation, as the chart renders them. */
export function rbacObjects(opts: RbacObjectsOptions): Record<string, unknown>[] {
  const subject = {
    kind: 'ServiceAccount',
    name: opts.serviceAccount.name,
    namespace: opts.serviceAccount.namespace,
  };
  const roleRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const rbac = 'rbac.authorization.k8s.io/v1';
  const objects: Record<string, unknown>[] = [
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: opts.name }, rules: namespaceRules },
  ];
  if (opts.namespaces?.length) {
    for (const namespace of opts.namespaces) {
      objects.push({
        apiVersion: rbac,
        kind: 'RoleBinding',
        metadata: { name: opts.name, namespace },
        roleRef: roleRef('ClusterRole', opts.name),
        subjects: [subject],
      });
    }
  } else {
    objects.push({
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: opts.name },
      roleRef: roleRef('ClusterRole', opts.name),
      subjects: [subject],
    });
  }
  if (clusterRules.length) {
    objects.push(
      {
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: `${opts.name}-cluster` },
        rules: clusterRules,
      },
      {
        apiVersion: rbac,
        kind: 'ClusterRoleBinding',
        metadata: { name: `${opts.name}-cluster` },
        roleRef: roleRef('ClusterRole', `${opts.name}-cluster`),
        subjects: [subject],
      },
    );
  }
  if (opts.leaderElection) {
    const ns = opts.serviceAccount.namespace;
    objects.push(
      {
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: `${opts.name}-leader-election`, namespace: ns },
        rules: leaderElectionRules,
      },
      {
        apiVersion: rbac,
        kind: 'RoleBinding',
        metadata: { name: `${opts.name}-leader-election`, namespace: ns },
        roleRef: roleRef('Role', `${opts.name}-leader-election`),
        subjects: [subject],
      },
    );
  }
  return objects;
}
