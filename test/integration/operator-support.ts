// Shared by the operator integration tests (test/integration/operator*.test.ts) and bench/operator:
// a client acting as the user (its own field manager), builders for our custom resources, and waits.
import '../../shared/node20-compat.ts';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  isNotFound,
  type KObject,
  KubeClient,
  knownResource,
  type Resource,
} from '../../operator/controller/kube.ts';
import { Operator, type OperatorOptions } from '../../operator/controller/operator.ts';
import { createLogger, type Logger } from '../../shared/logging.ts';
import {
  type Cluster,
  createTestNamespace,
  ensureCluster,
  installCrds,
  type TestNamespace,
  waitFor,
} from '../cluster/index.ts';

export const USER_FIELD_MANAGER = 'bulwark-test-user';

/** Installs crds/ (or $BULWARK_TEST_CRD_DIR, e.g. the chart's copies) and waits until they are Established. */
export function installTestCrds(kc: KubeConfig): Promise<string[]> {
  return installCrds(kc, process.env.BULWARK_TEST_CRD_DIR || undefined);
}

export const R = {
  llm: knownResource('bulwark.dev/v1alpha1', 'LlmDeployment')!,
  policy: knownResource('bulwark.dev/v1alpha1', 'GuardrailPolicy')!,
  deployment: knownResource('apps/v1', 'Deployment')!,
  replicaSet: knownResource('apps/v1', 'ReplicaSet')!,
  configMap: knownResource('v1', 'ConfigMap')!,
  secret: knownResource('v1', 'Secret')!,
  service: knownResource('v1', 'Service')!,
  serviceAccount: knownResource('v1', 'ServiceAccount')!,
  networkPolicy: knownResource('networking.k8s.io/v1', 'NetworkPolicy')!,
  pdb: knownResource('policy/v1', 'PodDisruptionBudget')!,
  hpa: knownResource('autoscaling/v2', 'HorizontalPodAutoscaler')!,
  pod: knownResource('v1', 'Pod')!,
  event: knownResource('events.k8s.io/v1', 'Event')!,
} satisfies Record<string, Resource>;

/** What a user does: apply with their own field manager, read back, delete. */
export class User {
  readonly client: KubeClient;
  constructor(readonly kc: KubeConfig) {
    this.client = new KubeClient(kc);
  }

  apply(obj: KObject): Promise<KObject> {
    return this.client.apply(obj, { fieldManager: USER_FIELD_MANAGER, force: true });
  }

  async get(r: Resource, namespace: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.client.get(r, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(r: Resource, namespace: string, labelSelector?: string): Promise<KObject[]> {
    return (await this.client.list(r, { namespace, ...(labelSelector ? { labelSelector } : {}) })).items;
  }

  async delete(r: Resource, namespace: string, name: string): Promise<void> {
    try {
      await this.client.delete(r, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function policyObject(namespace: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'bulwark.dev/v1alpha1', kind: 'GuardrailPolicy', metadata: { name, namespace }, spec };
}

export function llmObject(namespace: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'bulwark.dev/v1alpha1', kind: 'LlmDeployment', metadata: { name, namespace }, spec };
}

export function secretObject(namespace: string, name: string, data: Record<string, string>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: data,
  };
}

/** A small valid policy whose content (and so hash) depends on `word`. */
export function regexPolicy(word: string): Record<string, unknown> {
  return {
    input: [{ type: 'regex', action: 'block', params: { patterns: [`\\b${word}-[0-9]{4}\\b`] } }],
    output: [{ type: 'secrets', action: 'redact' }],
  };
}

export function llmSpec(policy: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: { image: 'vllm/vllm-openai:v0.11.0', args: ['--model', '/models/tiny'] },
    guard: { policyRef: { name: policy } },
    ...extra,
  };
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export const condition = (obj: KObject | undefined, type: string): Condition | undefined =>
  ((obj?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);

export const isTrue = (obj: KObject | undefined, type: string) => condition(obj, type)?.status === 'True';

/** Polls the LlmDeployment until `test` holds; returns it. */
export function waitForLlm(
  user: User,
  namespace: string,
  name: string,
  what: string,
  test: (llm: KObject) => boolean,
  timeoutMs = 60_000,
): Promise<KObject> {
  return waitFor(
    `${namespace}/${name}: ${what}`,
    async () => {
      const llm = await user.get(R.llm, namespace, name);
      return llm && test(llm) ? llm : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Ready=True for the current generation. */
export function readyForGeneration(llm: KObject): boolean {
  const ready = condition(llm, 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === llm.metadata.generation;
}

export function podTemplateAnnotations(dep: KObject | undefined): Record<string, string> {
  return (
    (dep?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)
      ?.template?.metadata?.annotations ?? {}
  );
}

export function containerNames(dep: KObject | undefined): string[] {
  const spec = dep?.spec as { template?: { spec?: { containers?: { name: string }[] } } } | undefined;
  return (spec?.template?.spec?.containers ?? []).map((c) => c.name);
}

/** A logger that keeps lines in memory (printed only when asked), so test output stays readable. */
export function memoryLogger(level = 'info'): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return {
    log: createLogger({ service: 'bulwark-operator-test', level, stream }),
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** An in-process operator for one test namespace, with free ports on localhost. */
export async function startOperator(
  kc: KubeConfig,
  opts: Partial<OperatorOptions> & { namespaces: string[] },
): Promise<Operator> {
  const operator = new Operator({
    kubeConfig: kc,
    workers: 4,
    metricsPort: 0,
    healthPort: 0,
    bindHost: '127.0.0.1',
    leaderElect: false,
    guardImage: 'ghcr.io/bulwark-dev/guard:test',
    log: memoryLogger().log,
    ...opts,
  });
  await operator.start();
  await waitFor('the operator to sync its caches', async () => (operator.running ? true : undefined), {
    timeoutMs: 60_000,
  });
  return operator;
}

export interface OperatorTestbed {
  cluster: Cluster;
  ns: TestNamespace;
  user: User;
  operator: Operator;
}

/**
 * Registers before/after hooks that give the calling test file a fresh namespace (prefix `prefix`) on
 * the local control plane, the CRDs, a user client and an in-process operator watching that namespace
 * (`options` given the namespace's name).
 * The returned object is filled in by the time the tests run.
 */
export function operatorTestbed(
  prefix: string,
  options: (namespace: string) => Partial<Omit<OperatorOptions, 'namespaces'>> = () => ({}),
): OperatorTestbed {
  const bed = {} as OperatorTestbed;
  before(async () => {
    bed.cluster = await ensureCluster();
    await installTestCrds(bed.cluster.kc);
    bed.ns = await createTestNamespace(bed.cluster.kc, prefix);
    bed.user = new User(bed.cluster.kc);
    bed.operator = await startOperator(bed.cluster.kc, {
      ...options(bed.ns.name),
      namespaces: [bed.ns.name],
    });
  });
  after(async () => {
    await bed.operator?.stop();
    await bed.ns?.cleanup();
  });
  return bed;
}
