// Test helper for the local control plane (see docs/development-cluster.md): start or reuse a cluster,
// install our CRDs, and hand each test a fresh namespace that enforces the restricted Pod Security
// Standard. The cluster is left running after the tests so reruns start in under a second; namespaces
// are deleted by their `cleanup`.
import '../../shared/node20-compat.ts';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  dumpYaml,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type V1CustomResourceDefinition,
  type V1Status,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CLUSTER_SCRIPTS_DIR, clusterPaths } from './paths.ts';

export { clusterPaths, pinnedVersions } from './paths.ts';

/** The cluster the test suite shares; `make cluster-up` uses `bulwark`, so tests never disturb it. */
export const TEST_CLUSTER = 'bulwark-test';
export const FIELD_MANAGER = 'bulwark-test-helper';
/** Marks namespaces made by createTestNamespace, so leftovers of a killed run are easy to find. */
export const TEST_NAMESPACE_LABEL = 'bulwark.dev/test-namespace';
// https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
export const POD_SECURITY_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

const execFileAsync = promisify(execFile);
const CLUSTER_SCRIPT = join(CLUSTER_SCRIPTS_DIR, 'cluster.sh');

export interface Cluster {
  kubeconfigPath: string;
  kc: KubeConfig;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined, and returns that. Errors thrown by
 * `probe` count as "not yet"; the last one is reported if the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The Status object the API server sent with an error, or undefined if `err` is not an API error. */
export function apiStatus(err: unknown): V1Status | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as V1Status;
    } catch {
      return { code: err.code, message: body };
    }
  }
  if (typeof body === 'object' && body !== null) return body as V1Status;
  return { code: err.code };
}

function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

async function hasReadyKwokNode(kc: KubeConfig): Promise<boolean> {
  const nodes = await kc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'type=kwok' });
  return nodes.items.some((node) =>
    node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

async function answers(kubeconfigPath: string): Promise<boolean> {
  try {
    return await hasReadyKwokNode(loadKubeConfig(kubeconfigPath));
  } catch {
    return false;
  }
}

/**
 * Starts the named local cluster, or reuses it when its kubeconfig already answers and a kwok node is
 * Ready. Several test files may call this at once: cluster.sh serialises `up` per cluster with flock(1),
 * so the first caller starts the cluster and the others wait for it and then reuse it.
 */
export async function ensureCluster(name = TEST_CLUSTER): Promise<Cluster> {
  const { kubeconfigPath } = clusterPaths(name);
  if (!(await answers(kubeconfigPath))) {
    try {
      await execFileAsync(CLUSTER_SCRIPT, ['up', name], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const output = err as { stdout?: string; stderr?: string };
      const tail = `${output.stdout ?? ''}${output.stderr ?? ''}`.split('\n').slice(-40).join('\n');
      throw new Error(`${CLUSTER_SCRIPT} up ${name} failed:\n${tail}`, { cause: err });
    }
  }
  return { kubeconfigPath, kc: loadKubeConfig(kubeconfigPath) };
}

const CRD_TYPE = 'V1CustomResourceDefinition';
const DEFAULT_CRD_DIR = join(CLUSTER_SCRIPTS_DIR, '..', '..', 'crds');

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/**
 * Server-side-applies every CustomResourceDefinition in `dir` (default: the repo's crds/) and waits until
 * each is Established. Returns the CRD names.
 */
export async function installCrds(kc: KubeConfig, dir = DEFAULT_CRD_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const names: string[] = [];

  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    const raw = parseAllDocuments(text)
      .map((doc) => doc.toJS() as unknown)
      .filter((doc) => doc !== null);
    const typed = loadAllYaml(text).filter((doc) => doc != null) as V1CustomResourceDefinition[];

    for (const [i, crd] of typed.entries()) {
      if (crd.kind !== 'CustomResourceDefinition' || !crd.metadata?.name) {
        throw new Error(`${file}: document ${i} is not a named CustomResourceDefinition`);
      }
      // The client serialises built-in kinds through its generated models, which drop any field they do
      // not know. A CRD field newer than the client would then vanish silently; fail loudly instead.
      const reparsed = parseAllDocuments(dumpYaml(crd))[0]?.toJS() as unknown;
      if (!isDeepStrictEqual(reparsed, raw[i])) {
        throw new Error(`${file}: ${crd.metadata.name} does not survive the client's ${CRD_TYPE} model`);
      }
      await objects.patch(crd, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      names.push(crd.metadata.name);
    }
  }

  const api = kc.makeApiClient(ApiextensionsV1Api);
  await Promise.all(
    names.map((name) =>
      waitFor(`CRD ${name} to be Established`, async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        return isEstablished(crd) ? crd : undefined;
      }),
    ),
  );
  return names;
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace without waiting for it to finish terminating. Safe to call twice. */
  cleanup: () => Promise<void>;
}

/**
 * Creates `<prefix>-<random>` labelled to enforce the restricted Pod Security Standard, and waits for its
 * `default` ServiceAccount: until kube-controller-manager creates it, the ServiceAccount admission
 * plugin rejects every pod, which would hide the PodSecurity verdict a test is looking for.
 */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<TestNamespace> {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  const name = `${base || 'test'}-${randomBytes(4).toString('hex')}`;
  const core = kc.makeApiClient(CoreV1Api);

  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: {
          [POD_SECURITY_ENFORCE_LABEL]: 'restricted',
          [`${POD_SECURITY_ENFORCE_LABEL}-version`]: 'latest',
          [TEST_NAMESPACE_LABEL]: 'true',
        },
      },
    },
  });
  await waitFor(`the default ServiceAccount in ${name}`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );

  let deleted = false;
  return {
    name,
    cleanup: async () => {
      if (deleted) return;
      deleted = true;
      try {
        await core.deleteNamespace({ name, propagationPolicy: 'Background' });
      } catch (err) {
        if (apiStatus(err)?.code !== 404) throw err;
      }
    },
  };
}
