// The operator as a real process (`bulwark operator`), two replicas with leader election: one works,
// the other waits; SIGTERM hands the Lease over at once; SIGKILL in the middle of a rollout, with the
// world changing while nobody watches, is recovered from by the next leader.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Annotation } from '../../operator/constants.ts';
import { knownResource } from '../../operator/controller/kube.ts';
import {
  type Cluster,
  createTestNamespace,
  ensureCluster,
  type TestNamespace,
  waitFor,
} from '../cluster/index.ts';
import {
  installTestCrds,
  llmObject,
  llmSpec,
  podTemplateAnnotations,
  policyObject,
  R,
  readyForGeneration,
  regexPolicy,
  User,
  waitForLlm,
} from './operator-support.ts';

const REPO = join(import.meta.dirname, '..', '..');
const LEASE = knownResource('coordination.k8s.io/v1', 'Lease')!;

interface Replica {
  name: string;
  child: ChildProcess;
  metricsPort: number;
  output: string[];
}

let cluster: Cluster;
let ns: TestNamespace;
let user: User;
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      // cli/main.ts only exports main(); bin/bulwark.js would prefer a possibly stale dist/.
      '-e',
      `const { main } = await import(${JSON.stringify(join(REPO, 'cli', 'main.ts'))}); process.exitCode = await main(process.argv.slice(1));`,
      'operator',
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--namespaces=${ns.name}`,
      '--metrics-port=0',
      '--health-port=0',
      '--bind-address=127.0.0.1',
      '--leader-elect',
      `--leader-election-namespace=${ns.name}`,
      '--leader-election-id=restart-test',
      '--leader-elect-lease-duration=6s',
      '--leader-elect-renew-deadline=4s',
      '--leader-elect-retry-period=1s',
      '--guard-image=ghcr.io/bulwark-dev/guard:test',
    ],
    {
      cwd: REPO,
      env: { ...process.env, POD_NAME: name, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  let metricsPort = 0;
  const onLine = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      output.push(line);
      const m = /"metricsPort":(\d+)/.exec(line);
      if (m) metricsPort = Number(m[1]);
    }
  };
  child.stdout?.on('data', onLine);
  child.stderr?.on('data', onLine);
  const replica: Replica = { name, child, metricsPort: 0, output };
  replicas.push(replica);
  await waitFor(`${name} to serve metrics`, async () => (metricsPort ? true : undefined), {
    timeoutMs: 30_000,
  });
  replica.metricsPort = metricsPort;
  return replica;
}

async function isLeader(r: Replica): Promise<boolean> {
  if (r.child.exitCode !== null) return false;
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  return /^bulwark_operator_leader 1$/m.test(text);
}

async function holder(): Promise<string | undefined> {
  const lease = await user.get(LEASE, ns.name, 'restart-test');
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

async function stop(r: Replica, signal: NodeJS.Signals): Promise<number | null> {
  if (r.child.exitCode !== null) return r.child.exitCode;
  const exited = once(r.child, 'exit');
  r.child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

before(async () => {
  cluster = await ensureCluster();
  await installTestCrds(cluster.kc);
  ns = await createTestNamespace(cluster.kc, 'operator-restart');
  user = new User(cluster.kc);
});

after(async () => {
  for (const r of replicas) await stop(r, 'SIGKILL');
  await ns?.cleanup();
});

describe('operator processes with leader election', { timeout: 240_000 }, () => {
  let first: Replica;
  let second: Replica;

  it('runs two replicas with exactly one leader', async () => {
    first = await startReplica('replica-a');
    await waitFor('replica-a to lead', async () => ((await isLeader(first)) ? true : undefined), {
      timeoutMs: 30_000,
    });
    second = await startReplica('replica-b');
    await user.apply(policyObject(ns.name, 'p', regexPolicy('ONE')));
    await user.apply(
      llmObject(ns.name, 'llm', llmSpec('p', { replicas: 3, rollout: { maxSurge: 1, maxUnavailable: 0 } })),
    );
    await waitForLlm(user, ns.name, 'llm', 'Ready', readyForGeneration, 90_000);
    assert.equal(await isLeader(first), true);
    assert.equal(await isLeader(second), false, 'the standby does not work');
    assert.match((await holder()) ?? '', /^replica-a_/);
  });

  it('hands the Lease over on SIGTERM, without waiting for it to expire', async () => {
    const started = Date.now();
    assert.equal(await stop(first, 'SIGTERM'), 0, 'graceful exit');
    assert.ok(
      first.output.some((l) => l.includes('"stopped"')),
      'the operator logged a clean stop',
    );
    await waitFor('replica-b to lead', async () => ((await isLeader(second)) ? true : undefined), {
      timeoutMs: 20_000,
    });
    assert.ok(Date.now() - started < 6_000, 'taken over faster than the 6 s lease duration: it was released');
  });

  it('converges after being killed in the middle of a rollout while the spec kept changing', async () => {
    const before = await user.get(R.deployment, ns.name, 'llm');
    const oldHash = podTemplateAnnotations(before)[Annotation.policyHash];
    await user.apply(policyObject(ns.name, 'p', regexPolicy('TWO')));
    await waitFor(
      'the rollout to start',
      async () => {
        const dep = await user.get(R.deployment, ns.name, 'llm');
        return podTemplateAnnotations(dep)[Annotation.policyHash] !== oldHash ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await stop(second, 'SIGKILL');

    // While no operator runs: a third policy and a scale change.
    await user.apply(policyObject(ns.name, 'p', regexPolicy('THREE')));
    await user.apply(
      llmObject(ns.name, 'llm', llmSpec('p', { replicas: 2, rollout: { maxSurge: 1, maxUnavailable: 0 } })),
    );
    const third = await startReplica('replica-c');
    // The killed leader never released its Lease: replica-c waits for it to expire, then converges.
    const llm = await waitForLlm(
      user,
      ns.name,
      'llm',
      'the third policy rolled out at 2 replicas',
      (l) => {
        const s = l.status as { policy?: { hash: string }; replicas?: number };
        return (
          readyForGeneration(l) &&
          s.replicas === 2 &&
          s.policy?.hash !== undefined &&
          s.policy.hash !== oldHash
        );
      },
      90_000,
    );
    const dep = await user.get(R.deployment, ns.name, 'llm');
    const finalHash = podTemplateAnnotations(dep)[Annotation.policyHash];
    assert.equal((llm.status as { policy: { hash: string } }).policy.hash, finalHash);
    const policy = await user.get(R.policy, ns.name, 'p');
    assert.equal(
      (policy?.status as { hash?: string } | undefined)?.hash,
      finalHash,
      'the third policy, not the second',
    );
    assert.equal((dep?.spec as { replicas?: number } | undefined)?.replicas, 2);
    assert.match((await holder()) ?? '', /^replica-c_/);
    assert.equal(await stop(third, 'SIGTERM'), 0);
  });
});
