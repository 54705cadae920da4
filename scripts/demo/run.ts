// `make demo`: the whole product on one machine. Brings up the local control plane (or uses the cluster
// KUBECONFIG points at with --cluster=external), installs the CRDs, runs the operator as a local process,
// applies a GuardrailPolicy and an LlmDeployment, waits for Ready, then shows the data path: a guard
// process with the policy the operator rendered, in front of a small local OpenAI-compatible model,
// answering benign and malicious prompts. Ctrl-C (or the end, when not on a terminal) tears it down.
import '../../shared/node20-compat.ts';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import OpenAI from 'openai';
import { parseAllDocuments } from 'yaml';
import { clusterPaths, installCrds } from '../../test/cluster/index.ts';
import { startFakeUpstream } from '../../test/support/openai-upstream.ts';
import { DEMO_PROMPTS } from './prompts.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NAMESPACE = 'bulwark-demo';
const FIELD_MANAGER = 'bulwark-demo';
const BULWARK = [join(ROOT, 'bin/bulwark.js')];

const { values: flags } = parseArgs({
  options: {
    cluster: { type: 'string', default: 'local' },
    'cluster-name': { type: 'string', default: 'bulwark' },
    'keep-cluster': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '180' },
  },
});
if (flags.cluster !== 'local' && flags.cluster !== 'external') {
  console.error('usage: demo [--cluster=local|external] [--cluster-name NAME] [--keep-cluster]');
  process.exit(2);
}
const timeoutMs = Number(flags.timeout) * 1000;
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

const say = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function startChild(name: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(process.execPath, [...BULWARK, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  child.on('exit', () => writeFileSync(logFile, Buffer.concat(chunks)));
  cleanups.push(() => writeFileSync(logFile, Buffer.concat(chunks)));
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${name} exited (${code ?? signal}); its log: ${logFile}`);
  });
  return child;
}

let stopping = false;
/** Stops the processes; then removes the cluster if this run started it, else only the demo namespace. */
async function teardown(removeCluster: boolean, kc?: KubeConfig): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('Tearing down');
  for (const child of children) child.kill('SIGTERM');
  for (const cleanup of cleanups.reverse()) await cleanup();
  if (kc && !removeCluster) {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: NAMESPACE })
      .catch(() => undefined);
    console.log(`deleted namespace ${NAMESPACE}`);
  }
  if (removeCluster) {
    execFileSync(join(ROOT, 'test/cluster/cluster.sh'), ['down', flags['cluster-name']!], {
      stdio: 'inherit',
    });
  }
}

function documents(file: string, namespace: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Record<string, unknown> & { metadata: Record<string, unknown> })
    .filter((d) => d !== null)
    .map((d) => ({ ...d, metadata: { ...d.metadata, namespace } }));
}

async function main(): Promise<number> {
  const workdir = mkdtempSync(join(tmpdir(), 'bulwark-demo-'));
  let kubeconfigPath: string;
  let startedCluster = false;

  if (flags.cluster === 'local') {
    say(
      'Local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) built from pinned sources',
    );
    execFileSync(join(ROOT, 'test/cluster/build-binaries.sh'), { stdio: 'inherit' });
    const cluster = join(ROOT, 'test/cluster/cluster.sh');
    // A cluster that was already up belongs to someone else (a developer, another run): reuse, never remove.
    const alreadyUp =
      spawnSync(cluster, ['status', flags['cluster-name']!], { stdio: 'ignore' }).status === 0;
    execFileSync(cluster, ['up', flags['cluster-name']!], { stdio: 'inherit' });
    kubeconfigPath = clusterPaths(flags['cluster-name']).kubeconfigPath;
    startedCluster = !alreadyUp;
  } else {
    kubeconfigPath = process.env.KUBECONFIG ?? join(process.env.HOME ?? '', '.kube/config');
    say(`External cluster from ${kubeconfigPath}`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

  try {
    say('Installing the CRDs');
    console.log((await installCrds(kc)).join('\n'));

    const core = kc.makeApiClient(CoreV1Api);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.patch(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    await waitUntil('the default ServiceAccount', () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: NAMESPACE }),
    );

    say(`Starting the operator (local process, watching namespace ${NAMESPACE})`);
    startChild(
      'operator',
      [
        'operator',
        '--kubeconfig',
        kubeconfigPath,
        '--namespaces',
        NAMESPACE,
        // The demo reads neither port; 0 lets the operator bind free ones itself. A port found free here and
        // bound later can be taken in between (a CI run lost the operator to EADDRINUSE that way).
        '--metrics-port',
        '0',
        '--health-port',
        '0',
      ],
      join(workdir, 'operator.log'),
    );

    say(
      'Applying the sample GuardrailPolicy (every scanner) and a demo LlmDeployment (llama.cpp, 2 replicas)',
    );
    const manifests = [
      ...documents(join(ROOT, 'manifests/samples/guardrailpolicy.yaml'), NAMESPACE),
      ...documents(join(ROOT, 'scripts/demo/manifests.yaml'), NAMESPACE),
    ];
    for (const object of manifests) {
      await objects.patch(
        object as never,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
      const meta = object.metadata as { name: string };
      console.log(`${object.kind}/${meta.name} applied`);
    }

    const custom = kc.makeApiClient(CustomObjectsApi);
    type Status = {
      conditions?: { type: string; status: string; reason: string; message: string }[];
      policy?: { name: string; hash: string };
      readyReplicas?: number;
      endpoint?: string;
    };
    const llm = await waitUntil('LlmDeployment demo-chat to be Ready', async () => {
      const object = (await custom.getNamespacedCustomObject({
        group: 'bulwark.dev',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'llmdeployments',
        name: 'demo-chat',
      })) as { status?: Status };
      const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && object.status?.policy ? object.status : undefined;
    });
    console.log(
      `demo-chat Ready: ${llm.readyReplicas} replicas, policy ${llm.policy?.name}@${llm.policy?.hash}, endpoint ${llm.endpoint}`,
    );
    for (const c of llm.conditions ?? [])
      console.log(`  ${c.type.padEnd(12)} ${c.status.padEnd(6)} ${c.reason}`);
    const owned = await core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'app.kubernetes.io/instance=demo-chat',
    });
    for (const pod of owned.items) {
      const containers = pod.spec?.containers.map((c) => c.name).join(', ');
      console.log(
        `  pod ${pod.metadata?.name} on ${pod.spec?.nodeName} [${containers}] ${pod.status?.phase}`,
      );
    }

    say('Data path: a guard process with the policy the operator rendered, in front of a demo model');
    const configMaps = await core.listNamespacedConfigMap({
      namespace: NAMESPACE,
      labelSelector: `bulwark.dev/policy-hash=${llm.policy?.hash},app.kubernetes.io/instance=demo-chat`,
    });
    const policyText = configMaps.items[0]?.data?.['policy.yaml'];
    if (!policyText) throw new Error(`no policy ConfigMap for hash ${llm.policy?.hash}`);
    const policyFile = join(workdir, 'policy.yaml');
    writeFileSync(policyFile, policyText);
    console.log(`policy from ConfigMap ${configMaps.items[0]?.metadata?.name} → ${policyFile}`);

    const upstream = await startFakeUpstream();
    cleanups.push(() => upstream.close());
    const [port, adminPort] = [await freePort(), await freePort()];
    startChild(
      'guard',
      [
        'guard',
        '--policy',
        policyFile,
        '--upstream',
        upstream.url,
        '--listen',
        `127.0.0.1:${port}`,
        '--admin-listen',
        `127.0.0.1:${adminPort}`,
      ],
      join(workdir, 'guard.log'),
    );
    await waitUntil(
      'the guard to be ready (policy compiled, classifier loaded, model reachable)',
      async () => {
        const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
        return res.ok ? true : undefined;
      },
    );

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'demo', maxRetries: 0 });
    const rows: string[][] = [];
    let unexpected = 0;
    for (const prompt of DEMO_PROMPTS) {
      const seen = upstream.requests.length;
      let verdict: string;
      let detail: string;
      try {
        const reply = await client.chat.completions.create({
          model: 'demo',
          messages: [
            { role: 'system', content: 'You are a helpful support assistant.' },
            { role: 'user', content: prompt.text },
          ],
        });
        const received = upstream.requests.slice(seen).map((r) => JSON.stringify(r.json));
        const rewritten =
          received.length > 0 && !received.some((r) => r.includes(JSON.stringify(prompt.text).slice(1, -1)));
        verdict = rewritten ? 'rewritten' : 'passed';
        detail = `reply: ${reply.choices[0]?.message.content ?? ''}`;
      } catch (err) {
        const e = err as { status?: number; code?: string; message?: string };
        verdict = e.code === 'guardrail_violation' ? 'blocked' : `error ${e.status ?? ''}`;
        detail = e.message ?? String(err);
      }
      const expected = { pass: 'passed', block: 'blocked', rewrite: 'rewritten' }[prompt.expect];
      if (verdict !== expected) unexpected++;
      rows.push([prompt.label, verdict + (verdict === expected ? '' : ` (expected ${expected})`), detail]);
    }
    const width = [26, 30];
    console.log(`${'prompt'.padEnd(width[0]!)}${'verdict'.padEnd(width[1]!)}detail`);
    for (const [label, verdict, detail] of rows) {
      const short = detail!.replace(/\s+/g, ' ').slice(0, 90);
      console.log(`${label!.padEnd(width[0]!)}${verdict!.padEnd(width[1]!)}${short}`);
    }

    say('What the model received for the PII prompt (anonymized before it left the guard)');
    const piiRequest = upstream.requests.find((r) => r.raw.includes('refund'));
    const userTurn = (piiRequest?.json as { messages?: { role: string; content: string }[] })?.messages?.find(
      (m) => m.role === 'user',
    );
    console.log(userTurn?.content ?? '(not forwarded)');

    say('Prometheus counters from the guard admin port');
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    for (const line of metrics.split('\n')) {
      if (/^bulwark_(requests|detections)_total\{/.test(line)) console.log(line);
    }

    say('What was simulated');
    console.log(
      [
        '- Nodes are kwok fakes: pods are scheduled, admitted by Pod Security "restricted" and reported Ready,',
        '  but no container runs. The operator, CRDs, RBAC, admission and controllers are the real programs.',
        '- The model is a small local OpenAI-compatible stand-in (test/support/openai-upstream.ts); the guard is',
        '  the real `bulwark guard` with the policy ConfigMap the operator generated.',
        '- To run the same on kind with real containers, see docs/install-kind.md.',
        `- Logs: ${workdir}/operator.log and guard.log`,
      ].join('\n'),
    );

    if (process.stdin.isTTY && process.stdout.isTTY) {
      say(`Guard listening on http://127.0.0.1:${port}/v1 — try it with curl; Ctrl-C tears everything down`);
      await interrupted;
    }
    return unexpected === 0 ? 0 : 1;
  } finally {
    await teardown(startedCluster && !flags['keep-cluster'], kc);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
