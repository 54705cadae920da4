/**
 * Operator scale benchmark on the local control plane with kwok nodes; see METHOD.md. Usage:
 *   node --import tsx bench/operator/run.ts [--count 1000] [--policies 10] [--workers 4]
 *     [--idle 60] [--cluster bulwark-bench] [--json out.json] [--keep]
 */
import '../../shared/node20-compat.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';
import { Informer } from '../../operator/controller/informer.ts';
import { type KObject, KubeClient, type Resource } from '../../operator/controller/kube.ts';
import { countWrites } from '../../operator/controller/metrics.ts';
import type { ValidPolicy } from '../../operator/controller/policy.ts';
import { buildDesiredState, secretsHash } from '../../operator/desired/index.ts';
import { createLogger } from '../../shared/logging.ts';
import { policyHash } from '../../shared/policy/index.ts';
import { createTestNamespace, ensureCluster, pinnedVersions } from '../../test/cluster/index.ts';
import {
  condition,
  installTestCrds,
  llmObject,
  llmSpec,
  policyObject,
  R,
  regexPolicy,
  User,
} from '../../test/integration/operator-support.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    policies: { type: 'string', default: '10' },
    workers: { type: 'string', default: '4' },
    idle: { type: 'string', default: '60' },
    cluster: { type: 'string', default: 'bulwark-bench' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: false },
    'max-old-space': { type: 'string' },
  },
});
const COUNT = Number(values.count);
const POLICIES = Number(values.policies);
const IDLE_S = Number(values.idle);
const REPO = join(import.meta.dirname, '..', '..');
const LEASES = 'leases.coordination.k8s.io';

const quiet = createLogger({ service: 'bench', level: 'error' });
const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface Operator {
  child: ChildProcess;
  metricsPort: number;
  peakRss: number;
  sampler: NodeJS.Timeout;
}

/**
 * Compiles the CLI as the image does (tsc, no tsx at run time) into an ignored directory, so the RSS
 * measured is the production process's, not the TypeScript loader's.
 */
async function build(): Promise<string> {
  const outDir = join(REPO, '.cache', 'bench-operator-dist');
  const tsc = spawn(
    process.execPath,
    [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: REPO, stdio: 'inherit' },
  );
  await once(tsc, 'exit');
  return join(outDir, 'cli', 'main.js');
}

async function startOperator(mainJs: string, kubeconfig: string, namespace: string): Promise<Operator> {
  const child = spawn(
    process.execPath,
    [
      ...(values['max-old-space'] ? [`--max-old-space-size=${values['max-old-space']}`] : []),
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(mainJs)}); process.exitCode = await main(process.argv.slice(1));`,
      'operator',
      `--kubeconfig=${kubeconfig}`,
      `--namespaces=${namespace}`,
      `--workers=${values.workers}`,
      '--metrics-port=0',
      '--health-port=0',
      '--bind-address=127.0.0.1',
      '--guard-image=ghcr.io/bulwark-dev/guard:bench',
    ],
    { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let metricsPort = 0;
  // Logs at info, as in production; only the line with the port is kept.
  child.stdout?.on('data', (chunk: Buffer) => {
    const m = /"metricsPort":(\d+)/.exec(String(chunk));
    if (m && !metricsPort) metricsPort = Number(m[1]);
  });
  for (let i = 0; i < 300 && !metricsPort; i++) await sleep(100);
  if (!metricsPort) throw new Error('the operator did not start');
  const op: Operator = { child, metricsPort, peakRss: 0, sampler: undefined as unknown as NodeJS.Timeout };
  op.sampler = setInterval(() => {
    try {
      op.peakRss = Math.max(op.peakRss, rssBytes(child.pid!));
    } catch {
      // The process is gone.
    }
  }, 500);
  return op;
}

async function scrape(op: Operator): Promise<string> {
  return (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
}

function requestsByVerb(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^bulwark_operator_api_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const verb = /verb="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '?';
    out[verb] = (out[verb] ?? 0) + Number(m[2]);
  }
  return out;
}

function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** kwok manages any Node annotated kwok.x-k8s.io/node=fake (https://kwok.sigs.k8s.io/docs/user/kwok-manage-nodes-and-pods/). */
function kwokNode(name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '2000', memory: '16Ti', pods: '1500', 'nvidia.com/gpu': '64' },
      capacity: { cpu: '2000', memory: '16Ti', pods: '1500', 'nvidia.com/gpu': '64' },
    },
  };
}

async function main() {
  const loadAverageAtStart = loadavg();
  log('compiling the CLI');
  const mainJs = await build();
  log(`cluster ${values.cluster}: starting or reusing`);
  const cluster = await ensureCluster(values.cluster);
  await installTestCrds(cluster.kc);
  const user = new User(cluster.kc);
  const nodes = Math.ceil((COUNT * 1.2) / 1500);
  for (let i = 0; i < nodes; i++) {
    await user.client.apply(kwokNode(`bench-node-${i}`), { fieldManager: 'bulwark-bench', force: true });
  }
  // kwokctl's Service range is a /24; 1,000 ClusterIP Services need more. Extra ranges are added with
  // ServiceCIDR objects (networking.k8s.io/v1, https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/).
  await user.client.apply(
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'ServiceCIDR',
      metadata: { name: 'bulwark-bench' },
      spec: { cidrs: ['10.96.0.0/20'] },
    },
    { fieldManager: 'bulwark-bench', force: true },
  );
  const ns = await createTestNamespace(cluster.kc, 'bench');
  log(`namespace ${ns.name}, ${nodes} extra kwok node(s) with 1500 pods each`);

  const policyNames = Array.from({ length: POLICIES }, (_, i) => `policy-${i}`);
  for (const p of policyNames) await user.apply(policyObject(ns.name, p, regexPolicy(`P${p.slice(7)}X`)));

  if (values.baseline) {
    await baseline(user, ns.name, policyNames, loadAverageAtStart);
    if (!values.keep) await cleanup(user, ns, nodes);
    return;
  }

  const llms = new Informer({ client: user.client, resource: R.llm, namespaces: [ns.name], log: quiet });
  llms.start();
  await llms.waitForSync();
  const op = await startOperator(mainJs, cluster.kubeconfigPath, ns.name);
  const atStart = await scrape(op);
  log(`operator up (metrics :${op.metricsPort}); creating ${COUNT} LlmDeployments`);

  const names = Array.from({ length: COUNT }, (_, i) => `llm-${String(i).padStart(4, '0')}`);
  const t0 = Date.now();
  await pool(names, 16, (name) =>
    user.apply(llmObject(ns.name, name, llmSpec(policyNames[Number(name.slice(4)) % POLICIES]!))),
  );
  const created = Date.now() - t0;
  log(`created in ${(created / 1000).toFixed(1)} s; waiting for Ready`);

  const isReady = (l: KObject) => {
    const c = condition(l, 'Ready');
    return c?.status === 'True' && c.observedGeneration === l.metadata.generation;
  };
  // Progress comes from a watch (the operator's own informer class), not from listing 1,000 objects
  // every second, which would load the API server the benchmark is measuring.
  const readyCount = (test: (l: KObject) => boolean) => llms.list(ns.name).filter(test).length;
  let ready = 0;
  const deadline = Date.now() + 15 * 60_000;
  let lastLog = 0;
  while (ready < COUNT && Date.now() < deadline) {
    await sleep(250);
    ready = readyCount(isReady);
    if (Date.now() - lastLog > 5000 || ready === COUNT) {
      lastLog = Date.now();
      log(`${ready}/${COUNT} Ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const convergeMs = Date.now() - t0;
  const afterConverge = await scrape(op);
  const rssAfterConverge = rssBytes(op.child.pid!);

  // Idle: nothing changes; the operator keeps its watches open and must not write.
  await sleep(5000);
  const idleStart = await scrape(op);
  log(`idle for ${IDLE_S} s`);
  await sleep(IDLE_S * 1000);
  const idleEnd = await scrape(op);
  const idleWrites = countWrites(idleEnd, [LEASES]) - countWrites(idleStart, [LEASES]);

  // A policy change reaching COUNT/POLICIES deployments.
  const target = policyNames[0]!;
  const affected = names.filter((_, i) => i % POLICIES === 0);
  await user.apply(policyObject(ns.name, target, regexPolicy('CHANGED')));
  const t1 = Date.now();
  const newHash = await (async () => {
    for (;;) {
      const p = await user.get(R.policy, ns.name, target);
      const status = p?.status as { hash?: string; observedGeneration?: number } | undefined;
      if (status?.hash && status.observedGeneration === p?.metadata.generation) return status.hash;
      await sleep(200);
    }
  })();
  let rolled = 0;
  lastLog = 0;
  while (rolled < affected.length && Date.now() - t1 < 15 * 60_000) {
    await sleep(250);
    rolled = readyCount(
      (l) => isReady(l) && (l.status as { policy?: { hash?: string } }).policy?.hash === newHash,
    );
    if (Date.now() - lastLog > 5000 || rolled === affected.length) {
      lastLog = Date.now();
      log(
        `${rolled}/${affected.length} report the new policy hash after ${((Date.now() - t1) / 1000).toFixed(1)} s`,
      );
    }
  }
  const policyRolloutMs = Date.now() - t1;
  const atEnd = await scrape(op);

  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtEnd: loadavg(),
      loadAverageAtStart,
    },
    kubernetes: pinnedVersions(),
    count: COUNT,
    policies: POLICIES,
    workers: Number(values.workers),
    maxOldSpaceMiB: values['max-old-space'] ? Number(values['max-old-space']) : null,
    createSeconds: created / 1000,
    convergeSeconds: convergeMs / 1000,
    readyAtEnd: ready,
    operatorRssMiB: { afterConverge: rssAfterConverge / 2 ** 20, peak: op.peakRss / 2 ** 20 },
    operatorHeapUsedMiB: gauge(afterConverge, 'bulwark_operator_nodejs_heap_size_used_bytes') / 2 ** 20,
    apiRequestsToConverge: diff(requestsByVerb(atStart), requestsByVerb(afterConverge)),
    idle: {
      seconds: IDLE_S,
      writes: idleWrites,
      requests: diff(requestsByVerb(idleStart), requestsByVerb(idleEnd)),
    },
    policyChange: {
      deployments: affected.length,
      seconds: policyRolloutMs / 1000,
      reported: rolled,
      apiRequests: diff(requestsByVerb(idleEnd), requestsByVerb(atEnd)),
    },
    targets: { convergeSeconds: 60, rssMiB: 250, idleWrites: 0 },
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);

  clearInterval(op.sampler);
  await llms.stop();
  op.child.kill('SIGTERM');
  await once(op.child, 'exit');
  if (!values.keep) await cleanup(user, ns, nodes);
}

const NODE: Resource = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };

async function cleanup(user: User, ns: { cleanup(): Promise<void> }, nodes: number): Promise<void> {
  await ns.cleanup();
  for (let i = 0; i < nodes; i++) {
    await user.client.delete(NODE, undefined, `bench-node-${i}`).catch(() => {});
  }
}

/**
 * The same children, applied by the harness itself with the operator's apply order and concurrency,
 * and no operator: what the API server, the controllers and kwok need for this many objects. The
 * operator's convergence time divided by this is its overhead.
 */
async function baseline(user: User, namespace: string, policyNames: string[], loadAverageAtStart: number[]) {
  let requests = 0;
  const client = new KubeClient(user.kc, { observe: () => requests++ });
  const deployments = new Informer({ client, resource: R.deployment, namespaces: [namespace], log: quiet });
  deployments.start();
  await deployments.waitForSync();
  const policies = new Map<string, ValidPolicy>();
  for (const name of policyNames) {
    const raw = await user.get(R.policy, namespace, name);
    const parsed = GuardrailPolicy.parse({ ...raw, status: undefined });
    policies.set(name, { ...parsed, hash: policyHash(parsed.spec) });
  }
  const config = {
    guardImage: 'ghcr.io/bulwark-dev/guard:bench',
    securityProfilesOperator: false,
    serviceMonitor: false,
  };
  const names = Array.from({ length: COUNT }, (_, i) => `llm-${String(i).padStart(4, '0')}`);
  const t0 = Date.now();
  requests = 0;
  await pool(names, Number(values.workers), async (name) => {
    const policy = policyNames[Number(name.slice(4)) % POLICIES]!;
    const created = await client.apply(llmObject(namespace, name, llmSpec(policy)), {
      fieldManager: 'bulwark-bench',
      force: true,
    });
    const llm = LlmDeployment.parse({ ...created, status: undefined });
    const objects = buildDesiredState(
      llm,
      { policy: policies.get(policy)!, secretsHash: secretsHash(llm, new Map()) },
      config,
    );
    const isDeployment = (o: { kind: string }) => o.kind === 'Deployment';
    for (const phase of [objects.filter((o) => !isDeployment(o)), objects.filter(isDeployment)]) {
      await Promise.all(
        phase.map((o) => client.apply(o as KObject, { fieldManager: 'bulwark-bench', force: false })),
      );
    }
  });
  const appliedMs = Date.now() - t0;
  log(
    `applied ${COUNT} LlmDeployments' children in ${(appliedMs / 1000).toFixed(1)} s; waiting for Available`,
  );
  const available = (d: KObject) => {
    const st = d.status as { availableReplicas?: number; observedGeneration?: number } | undefined;
    return (st?.availableReplicas ?? 0) >= 1 && st?.observedGeneration === d.metadata.generation;
  };
  let ready = 0;
  let lastLog = 0;
  while (ready < COUNT && Date.now() - t0 < 15 * 60_000) {
    await sleep(250);
    ready = deployments.list(namespace).filter(available).length;
    if (Date.now() - lastLog > 5000 || ready === COUNT) {
      lastLog = Date.now();
      log(`${ready}/${COUNT} Deployments available after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const result = {
    mode: 'baseline',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverageAtStart, loadAverageAtEnd: loadavg() },
    count: COUNT,
    concurrency: Number(values.workers),
    applySeconds: appliedMs / 1000,
    availableSeconds: (Date.now() - t0) / 1000,
    requests,
  };
  await deployments.stop();
  console.log(JSON.stringify(result, null, 2));
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
