// The local control plane is the real thing: a kwok node is Ready, our CRDs install and their CEL rules
// run in the API server, kube-controller-manager and kwok take a Deployment to Ready pods, and the
// PodSecurity admission plugin enforces the restricted standard.
// Before @kubernetes/client-node: see the file for why.
import '../../shared/node20-compat.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AppsV1Api,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Container,
  type V1Deployment,
} from '@kubernetes/client-node';
import {
  apiStatus,
  type Cluster,
  createTestNamespace,
  ensureCluster,
  installCrds,
  type TestNamespace,
  waitFor,
} from '../cluster/index.ts';

const LLM_API_VERSION = 'bulwark.dev/v1alpha1';
const CEL_MESSAGE = 'maxSurge and maxUnavailable cannot both be 0';

function llmDeployment(namespace: string, name: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: LLM_API_VERSION,
    kind: 'LlmDeployment',
    metadata: { name, namespace },
    spec,
  } as KubernetesObject;
}

const minimalSpec = {
  model: { image: 'vllm/vllm-openai:v0.11.0' },
  guard: { policyRef: { name: 'default' } },
};

// What the restricted Pod Security Standard asks of every container.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
const restrictedContainer: V1Container = {
  name: 'app',
  image: 'registry.k8s.io/pause:3.10',
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    runAsUser: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

let cluster: Cluster;
let ns: TestNamespace;

before(async () => {
  cluster = await ensureCluster();
  ns = await createTestNamespace(cluster.kc, 'cluster-test');
});

after(async () => {
  await ns?.cleanup();
});

describe('local control plane', () => {
  it('has a Ready kwok node', async () => {
    const nodes = await cluster.kc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'type=kwok' });
    const ready = nodes.items.filter((node) =>
      node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    assert.ok(ready.length >= 1, `no Ready kwok node among ${nodes.items.map((n) => n.metadata?.name)}`);
  });

  describe('CRDs', () => {
    let crds: string[];
    before(async () => {
      crds = await installCrds(cluster.kc);
    });

    it('applies every CRD in crds/ and they become Established', () => {
      assert.ok(crds.includes('llmdeployments.bulwark.dev'), `installed: ${crds}`);
      assert.ok(crds.includes('guardrailpolicies.bulwark.dev'), `installed: ${crds}`);
    });

    it('accepts a minimal LlmDeployment', async () => {
      const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
      const created = await objects.create(llmDeployment(ns.name, 'minimal', minimalSpec));
      assert.equal(created.metadata?.name, 'minimal');
    });

    /** Creating `invalid` fails with 422 Invalid and a message matching `message`. */
    const rejectsWith = async (invalid: KubernetesObject, message: RegExp) => {
      const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
      await assert.rejects(objects.create(invalid), (err: unknown) => {
        const status = apiStatus(err);
        assert.equal(status?.code, 422, `expected 422 Invalid, got ${JSON.stringify(status)}`);
        assert.match(status?.message ?? '', message);
        return true;
      });
    };
    const policy = (name: string, spec: object) =>
      ({
        apiVersion: LLM_API_VERSION,
        kind: 'GuardrailPolicy',
        metadata: { name, namespace: ns.name },
        spec,
      }) as KubernetesObject;

    it('rejects an invalid LlmDeployment with the CEL message', async () => {
      const invalid = llmDeployment(ns.name, 'no-rollout-room', {
        ...minimalSpec,
        rollout: { maxSurge: 0, maxUnavailable: 0 },
      });
      await rejectsWith(invalid, new RegExp(CEL_MESSAGE));
    });

    it('rejects a GuardrailPolicy whose classifier cascade band holds nothing, with the CEL message', async () => {
      const band = { low: 0.8, high: 0.2 };
      await rejectsWith(
        policy('empty-band', {
          input: [{ type: 'promptInjection', params: { classifier: { cascade: { band } } } }],
        }),
        /cascade\.band: Invalid value.*band\.low must be below band\.high/,
      );
    });

    it('rejects a GuardrailPolicy that trusts a system prompt by its text instead of its digest', async () => {
      await rejectsWith(
        policy('trusted-text', { conversation: { trustedInstructions: ['You are a helpful assistant.'] } }),
        /spec\.conversation\.trustedInstructions\[0\].*should match '\^\[0-9a-f\]\{64\}\$'/,
      );
    });

    it('rejects a trusted prompt beginning of no bytes, or without its digest', async () => {
      await rejectsWith(
        policy('empty-prefix', {
          conversation: { trustedInstructionPrefixes: [{ digest: 'a'.repeat(64), bytes: 0 }] },
        }),
        /spec\.conversation\.trustedInstructionPrefixes\[0\]\.bytes: Invalid value: 0: .*greater than or equal to 1/,
      );
      await rejectsWith(
        policy('no-digest', { conversation: { trustedInstructionPrefixes: [{ bytes: 9 }] } }),
        /spec\.conversation\.trustedInstructionPrefixes\[0\]\.digest: Required value/,
      );
    });
  });

  it('takes a restricted-compliant Deployment to Available with Ready pods', async () => {
    const apps = cluster.kc.makeApiClient(AppsV1Api);
    const labels = { 'app.kubernetes.io/name': 'compliant' };
    const deployment: V1Deployment = {
      metadata: { name: 'compliant', namespace: ns.name },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { automountServiceAccountToken: false, containers: [restrictedContainer] },
        },
      },
    };
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment });

    const ready = await waitFor('Deployment compliant to have 2 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'compliant', namespace: ns.name });
      const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
      return available && d.status?.readyReplicas === 2 ? d : undefined;
    });
    assert.equal(ready.status?.readyReplicas, 2);

    const pods = await cluster.kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/name=compliant' });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, 'Running', `${pod.metadata?.name} phase`);
      assert.ok(
        pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        `${pod.metadata?.name} is not Ready`,
      );
    }
  });

  it('rejects a non-compliant pod in a restricted namespace (PodSecurity)', async () => {
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const privileged = {
      metadata: { name: 'privileged', namespace: ns.name },
      spec: {
        containers: [
          { name: 'app', image: 'registry.k8s.io/pause:3.10', securityContext: { privileged: true } },
        ],
      },
    };
    await assert.rejects(
      core.createNamespacedPod({ namespace: ns.name, body: privileged }),
      (err: unknown) => {
        const status = apiStatus(err);
        assert.equal(status?.code, 403, `expected 403 Forbidden, got ${JSON.stringify(status)}`);
        assert.match(status?.message ?? '', /violates PodSecurity "restricted:latest"/);
        assert.match(status?.message ?? '', /privileged/);
        return true;
      },
    );
  });
});
