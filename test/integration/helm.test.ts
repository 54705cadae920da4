// The chart on the real local control plane (test/cluster/: kube-apiserver with RBAC and PodSecurity
// admission, kube-controller-manager, kwok nodes), with the real helm binary:
// - `helm install --wait` into a namespace enforcing Pod Security `restricted`: the operator Deployment
//   becomes Available (kwok runs no containers: it marks admitted, scheduled pods Running and Ready, so
//   "Available" here proves admission, scheduling and the rollout, not the image);
// - the workloads the operator generates for the samples are admitted by `restricted` too, and the
//   privileged installer is not (which is why the chart gives it its own namespace);
// - the chart's RBAC lets the operator do its job in the watched namespace and nothing in others;
// - a sample LlmDeployment reconciles through the installed CRDs with the operator running as a LOCAL
//   PROCESS authenticated as the chart's ServiceAccount (a TokenRequest token): the image cannot run on
//   kwok, so this is how the chart's permissions meet the real operator;
// - the profile installer, also run locally as its ServiceAccount, reads the operator's ConfigMap;
// - `helm uninstall` leaves nothing behind but the CRDs.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AppsV1Api,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  apiStatus,
  type Cluster,
  createTestNamespace,
  ensureCluster,
  type TestNamespace,
  waitFor,
} from '../cluster/index.ts';
import { sampleDesiredState } from '../delivery/operator-output.ts';
import { CHART_DIR, helmPath, kubectlPath, podSpecs, REPO_ROOT, run } from '../delivery/tools.ts';

const helm = helmPath();
const kubectl = kubectlPath();
const operatorReady = !readFileSync(join(REPO_ROOT, 'cli', 'commands', 'operator.ts'), 'utf8').includes(
  'not implemented yet',
);
const skip = !helm || !kubectl ? 'helm/kubectl not built: run `make binaries`' : false;
const FIELD_MANAGER = 'bulwark-helm-test';
const INSTANCE = 'app.kubernetes.io/instance';

let cluster: Cluster;
let releaseNs: TestNamespace;
let watchedNs: TestNamespace;
let otherNs: TestNamespace;
const release = `bw-${randomBytes(3).toString('hex')}`;
const installerNs = `${release}-profiles`;
let scratch: string;

async function helmRun(args: string[], timeoutMs = 240_000) {
  return run(helm!, [...args, '--kubeconfig', cluster.kubeconfigPath], { timeoutMs });
}

async function kubectlRun(args: string[]) {
  return run(kubectl!, ['--kubeconfig', cluster.kubeconfigPath, ...args]);
}

/** `kubectl auth can-i` as a ServiceAccount: true/false (exit 1 with "no" is an answer, not an error). */
async function canI(sa: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  const [plural, subresource] = resource.split('/');
  const args = ['auth', 'can-i', verb, plural!, ...(subresource ? [`--subresource=${subresource}`] : [])];
  args.push('--as', sa, ...(namespace ? ['-n', namespace] : []));
  try {
    const { stdout } = await kubectlRun(args);
    return stdout.trim() === 'yes';
  } catch (err) {
    if (/\bno\b/.test(String((err as { stdout?: string }).stdout))) return false;
    throw err;
  }
}

/** A kubeconfig for the cluster that authenticates as a ServiceAccount, with a short-lived token. */
async function serviceAccountKubeconfig(
  namespace: string,
  name: string,
): Promise<{ path: string; token: string }> {
  const { stdout } = await kubectlRun(['create', 'token', name, '-n', namespace, '--duration', '1h']);
  const token = stdout.trim();
  const current = cluster.kc.getCurrentCluster()!;
  const path = join(scratch, `kubeconfig-${name}`);
  const ca =
    current.caData ?? (current.caFile ? (await readFile(current.caFile)).toString('base64') : undefined);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: current.server, 'certificate-authority-data': ca } }],
    users: [{ name: name, user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'c', user: name } }],
    'current-context': 'sa',
  };
  await writeFile(path, JSON.stringify(doc), { mode: 0o600 });
  return { path, token };
}

async function applyAll(objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const o of objects)
    await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

async function sampleObjects(namespace: string): Promise<KubernetesObject[]> {
  const out: KubernetesObject[] = [];
  for (const file of ['guardrailpolicy.yaml', 'llmdeployment.yaml']) {
    const text = await readFile(join(REPO_ROOT, 'manifests', 'samples', file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as KubernetesObject & { spec?: Record<string, Record<string, unknown>> };
      if (!o) continue;
      o.metadata = { ...o.metadata, namespace };
      if (o.kind === 'LlmDeployment' && o.spec) {
        // kwok nodes have no GPUs and no gpu.present label: keep the sample schedulable here.
        delete (o.spec.model!.resources as Record<string, unknown>).gpus;
        delete o.spec.scheduling;
      }
      out.push(o);
    }
  }
  out.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hf-token', namespace },
    stringData: { token: 'hf_test' },
  } as KubernetesObject);
  return out;
}

describe('helm chart on the local control plane', { skip, timeout: 900_000 }, () => {
  before(async () => {
    cluster = await ensureCluster();
    [releaseNs, watchedNs, otherNs] = await Promise.all([
      createTestNamespace(cluster.kc, 'helm-release'),
      createTestNamespace(cluster.kc, 'helm-watched'),
      createTestNamespace(cluster.kc, 'helm-other'),
    ]);
    scratch = await mkdtemp(join(tmpdir(), 'bulwark-helm-'));
  });

  after(async () => {
    await helmRun(['uninstall', release, '-n', releaseNs.name, '--ignore-not-found']).catch(() => {});
    await Promise.all([releaseNs?.cleanup(), watchedNs?.cleanup(), otherNs?.cleanup()]);
    await kubectlRun(['delete', 'namespace', installerNs, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('has CRDs the API server accepts (server-side dry run of charts/bulwark/crds/)', async () => {
    await kubectlRun([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--dry-run=server',
      '-f',
      join(CHART_DIR, 'crds'),
    ]);
  });

  it('installs into a restricted namespace and the operator Deployment becomes Available', async () => {
    const nodes = await cluster.kc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'type=kwok' });
    const ephemeral = nodes.items.some((n) => n.status?.allocatable?.['ephemeral-storage']);
    await helmRun([
      'install',
      release,
      CHART_DIR,
      '--namespace',
      releaseNs.name,
      '--set',
      `operator.watchNamespaces={${watchedNs.name}}`,
      '--set',
      'profileInstaller.enabled=true',
      '--set',
      'profileInstaller.mode=daemonset',
      '--set',
      `profileInstaller.namespace=${installerNs}`,
      // kwok nodes advertise no ephemeral-storage, so pods requesting it never schedule there; real
      // nodes do. Drop the requests only when the test cluster's nodes lack it.
      ...(ephemeral
        ? []
        : ['operator', 'profileInstaller'].flatMap((c) =>
            ['requests', 'limits'].flatMap((k) => ['--set', `${c}.resources.${k}.ephemeral-storage=null`]),
          )),
      '--wait',
      '--timeout',
      '180s',
      // The shared test cluster already has our CRDs, applied by test/cluster's installCrds under its own
      // field manager; Helm 4 server-side-applies CRDs and would report that as a conflict.
      '--force-conflicts',
    ]);
    const apps = cluster.kc.makeApiClient(AppsV1Api);
    const deploy = await apps.readNamespacedDeployment({
      name: `${release}-bulwark-operator`,
      namespace: releaseNs.name,
    });
    assert.equal(deploy.status?.availableReplicas, 2);
    assert.ok(deploy.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True'));
    // Every pod was admitted by PodSecurity `restricted`: no ReplicaSet reports a failed create.
    const sets = await apps.listNamespacedReplicaSet({
      namespace: releaseNs.name,
      labelSelector: `${INSTANCE}=${release}`,
    });
    for (const rs of sets.items) {
      assert.ok(!rs.status?.conditions?.some((c) => c.type === 'ReplicaFailure'), JSON.stringify(rs.status));
    }
    const ds = await apps.readNamespacedDaemonSet({
      name: `${release}-bulwark-profile-installer`,
      namespace: installerNs,
    });
    assert.ok(
      (ds.status?.numberReady ?? 0) >= 1,
      `installer ready on kwok nodes: ${JSON.stringify(ds.status)}`,
    );
  });

  it('admits every workload the operator generates for the samples under restricted (server-side dry run)', async () => {
    const core = cluster.kc.makeApiClient(CoreV1Api);
    for (const variant of [{}, { seccomp: 'Generated' as const, appArmor: 'Generated' as const }]) {
      // Not in the watched namespace: a ServiceAccount this test creates there would be an object Bulwark
      // did not create, which the operator (rightly) refuses to take over in the reconcile test below.
      const objects = await sampleDesiredState({ ...variant, namespace: otherNs.name });
      const sa = objects.find((o) => o.kind === 'ServiceAccount');
      if (sa)
        await applyAll([
          { ...sa, metadata: { ...sa.metadata, ownerReferences: undefined } } as KubernetesObject,
        ]);
      const pods = podSpecs(objects as never);
      assert.ok(pods.length >= 1);
      for (const { owner, spec } of pods) {
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${owner.metadata.name}-dry-run`, namespace: otherNs.name },
          spec,
        };
        const created = await core.createNamespacedPod({
          namespace: otherNs.name,
          body: pod as never,
          dryRun: 'All',
        });
        assert.equal(
          created.metadata?.name,
          pod.metadata.name,
          `${owner.kind}/${owner.metadata.name} admitted`,
        );
      }
    }
  });

  it('would have the privileged installer rejected by restricted, hence its own namespace', async () => {
    const { stdout } = await helmRun(['get', 'manifest', release, '-n', releaseNs.name]);
    const ds = parseAllDocuments(stdout)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'DaemonSet');
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'installer-in-restricted' },
      spec: ds.spec.template.spec,
    };
    pod.spec.serviceAccountName = 'default';
    await assert.rejects(
      core.createNamespacedPod({ namespace: otherNs.name, body: pod, dryRun: 'All' }),
      (err) => {
        const status = apiStatus(err);
        assert.equal(status?.code, 403);
        assert.match(status?.message ?? '', /violates PodSecurity "restricted:latest"/);
        return true;
      },
    );
  });

  it('gives the operator its rules in the watched namespace and nothing in others', async () => {
    const sa = `system:serviceaccount:${releaseNs.name}:${release}-bulwark-operator`;
    assert.equal(await canI(sa, 'list', 'secrets', watchedNs.name), true);
    assert.equal(await canI(sa, 'patch', 'deployments.apps', watchedNs.name), true);
    assert.equal(await canI(sa, 'patch', 'llmdeployments.bulwark.dev/status', watchedNs.name), true);
    assert.equal(await canI(sa, 'create', 'leases.coordination.k8s.io', releaseNs.name), true);
    assert.equal(await canI(sa, 'list', 'secrets', otherNs.name), false);
    assert.equal(
      await canI(sa, 'get', 'secrets', watchedNs.name),
      false,
      'secrets are listed, never read one by one',
    );
    assert.equal(await canI(sa, 'patch', 'deployments.apps', otherNs.name), false);
    assert.equal(await canI(sa, 'delete', 'namespaces'), false);
    assert.equal(await canI(sa, 'create', 'leases.coordination.k8s.io', watchedNs.name), false);
    const installer = `system:serviceaccount:${installerNs}:${release}-bulwark-profile-installer`;
    assert.equal(await canI(installer, 'list', 'configmaps', watchedNs.name), true);
    assert.equal(await canI(installer, 'list', 'secrets', watchedNs.name), false);
  });

  it('reconciles a sample LlmDeployment with the operator running locally as the chart ServiceAccount', {
    skip: operatorReady ? false : 'bulwark operator is not implemented yet',
  }, async () => {
    const { path } = await serviceAccountKubeconfig(releaseNs.name, `${release}-bulwark-operator`);
    let output = '';
    const operator: ChildProcess = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'bulwark.js'),
        'operator',
        '--kubeconfig',
        path,
        `--namespaces=${watchedNs.name}`,
        '--leader-elect=true',
        `--leader-election-namespace=${releaseNs.name}`,
        '--metrics-port=0',
        '--health-port=0',
        '--bind-address=127.0.0.1',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, POD_NAMESPACE: releaseNs.name, POD_NAME: 'helm-test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    operator.stdout?.on('data', (d) => (output += d));
    operator.stderr?.on('data', (d) => (output += d));
    try {
      await applyAll(await sampleObjects(watchedNs.name));
      const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
      // Fail at once, with its output, if the operator process dies.
      const exited = new Promise<never>((_, reject) =>
        operator.once('exit', (code) =>
          reject(new Error(`operator exited (${code}):\n${output.slice(-3000)}`)),
        ),
      );
      exited.catch(() => {}); // handled by the race; later the test stops the operator on purpose
      const reconciled = await Promise.race([
        exited,
        waitFor(
          'the sample LlmDeployment to be reconciled',
          async () => {
            const llm = (await objects.read({
              apiVersion: 'bulwark.dev/v1alpha1',
              kind: 'LlmDeployment',
              metadata: { name: 'support-bot', namespace: watchedNs.name },
            })) as KubernetesObject & {
              status?: {
                observedGeneration?: number;
                conditions?: { type: string; status: string; reason?: string }[];
              };
            };
            return llm.status?.observedGeneration === llm.metadata?.generation &&
              llm.status?.conditions?.length
              ? llm
              : undefined;
          },
          { timeoutMs: 120_000 },
        ).catch((err: Error) => {
          throw new Error(`${err.message}\noperator output:\n${output.slice(-3000)}`);
        }),
      ]);
      const conditions = Object.fromEntries(
        (reconciled.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason ?? ''}`]),
      );
      // Children exist only if the chart's RBAC let the operator apply them.
      const apps = cluster.kc.makeApiClient(AppsV1Api);
      const children = await apps.listNamespacedDeployment({
        namespace: watchedNs.name,
        labelSelector: 'app.kubernetes.io/managed-by=bulwark',
      });
      assert.equal(children.items.length, 1, `child Deployment (conditions ${JSON.stringify(conditions)})`);
      assert.doesNotMatch(output, /forbidden/i, 'no RBAC denial in the operator log');
      await objects.delete({
        apiVersion: 'bulwark.dev/v1alpha1',
        kind: 'LlmDeployment',
        metadata: { name: 'support-bot', namespace: watchedNs.name },
      });
    } finally {
      operator.kill('SIGTERM');
      await new Promise((r) => (operator.exitCode === null ? operator.once('exit', r) : r(undefined)));
    }
  });

  it('lets the profile installer, as its ServiceAccount, install the operator-emitted profiles', async () => {
    const objects = await sampleDesiredState({
      seccomp: 'Generated',
      appArmor: 'Generated',
      namespace: watchedNs.name,
    });
    const cm = objects.find(
      (o) =>
        o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/component'] === 'security-profiles',
    );
    assert.ok(cm);
    await applyAll([{ ...cm, metadata: { ...cm.metadata, ownerReferences: undefined } } as KubernetesObject]);

    const { token } = await serviceAccountKubeconfig(installerNs, `${release}-bulwark-profile-installer`);
    const saDir = join(scratch, 'installer-sa');
    await mkdir(saDir, { recursive: true });
    await writeFile(join(saDir, 'token'), token);
    const current = cluster.kc.getCurrentCluster()!;
    await writeFile(
      join(saDir, 'ca.crt'),
      current.caData ? Buffer.from(current.caData, 'base64') : await readFile(current.caFile!),
    );
    const server = new URL(current.server);
    const hostRoot = join(scratch, 'node');
    await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'images', 'profile-installer', 'main.ts'),
        '--once',
        `--host-root=${hostRoot}`,
        `--namespaces=${watchedNs.name}`,
        `--apparmor-dir=${join(scratch, 'aa')}`,
      ],
      {
        env: {
          ...process.env,
          KUBERNETES_SERVICE_HOST: server.hostname,
          KUBERNETES_SERVICE_PORT: server.port || '443',
          SERVICEACCOUNT_DIR: saDir,
        },
      },
    );
    const seccompKey = Object.keys((cm as unknown as { data: Record<string, string> }).data).find((k) =>
      k.endsWith('.json'),
    )!;
    assert.ok(
      existsSync(join(hostRoot, 'var/lib/kubelet/seccomp/bulwark', seccompKey)),
      `${seccompKey} installed`,
    );
  });

  it('uninstalls and leaves nothing behind but the CRDs', async () => {
    await helmRun(['uninstall', release, '-n', releaseNs.name, '--wait', '--timeout', '120s']);
    const selector = `${INSTANCE}=${release}`;
    const leftovers = await waitFor(
      'chart objects to be gone',
      async () => {
        const { stdout } = await kubectlRun([
          'get',
          'deployments,daemonsets,replicasets,pods,services,serviceaccounts,configmaps,networkpolicies,poddisruptionbudgets,roles,rolebindings',
          '-A',
          '-l',
          selector,
          '-o',
          'name',
        ]);
        const { stdout: cluster } = await kubectlRun([
          'get',
          'clusterroles,clusterrolebindings',
          '-l',
          selector,
          '-o',
          'name',
        ]);
        const all = `${stdout}${cluster}`.trim();
        return all === '' ? 'none' : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    assert.equal(leftovers, 'none');
    const { stdout: ns } = await kubectlRun([
      'get',
      'namespace',
      installerNs,
      '-o',
      'jsonpath={.status.phase}',
      '--ignore-not-found',
    ]);
    assert.ok(ns === '' || ns === 'Terminating', `installer namespace: ${ns}`);
    const { stdout: crds } = await kubectlRun(['get', 'crd', '-o', 'name']);
    assert.match(crds, /llmdeployments\.bulwark\.dev/);
    assert.match(crds, /guardrailpolicies\.bulwark\.dev/);
  });
});
