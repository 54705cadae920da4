import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LlmDeploymentSpec } from './llmdeployment.ts';

const minimal = { model: { image: 'vllm/vllm-openai:v0.11.0' }, guard: { policyRef: { name: 'default' } } };

/** Parses a spec and returns its problems as `path: message`, the way `bulwark validate` prints them. */
function problems(spec: unknown): string[] {
  const result = LlmDeploymentSpec.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('LlmDeploymentSpec', () => {
  test('a minimal spec gets safe defaults', () => {
    const spec = LlmDeploymentSpec.parse(minimal);
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.rollout, { maxSurge: 1, maxUnavailable: 0 });
    assert.equal(spec.model.port, 8000);
    assert.equal(spec.model.readinessPath, '/health');
    assert.equal(spec.model.resources.gpus, 0);
    assert.equal(spec.outputCheck.enabled, false);
    assert.equal(spec.network.egress.mode, 'dns');
    assert.deepEqual(spec.security, {
      seccomp: 'RuntimeDefault',
      appArmor: 'NodeDefault',
      requireImageDigest: false,
    });
    assert.equal(spec.guard.maxRequestBytes, 1024 * 1024);
  });

  const invalid: [string, unknown, string][] = [
    ['missing model', { guard: minimal.guard }, 'model: Invalid input: expected object, received undefined'],
    [
      'both rollout knobs zero',
      { ...minimal, rollout: { maxSurge: 0, maxUnavailable: '0%' } },
      'rollout: maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod',
    ],
    [
      'tag without digest when digests are required',
      { ...minimal, security: { requireImageDigest: true } },
      'model.image: model.image must be pinned by digest (image@sha256:...) when security.requireImageDigest is true',
    ],
    [
      'guard image without digest when digests are required',
      {
        model: { image: `vllm/vllm-openai@sha256:${'a'.repeat(64)}` },
        guard: { policyRef: { name: 'p' }, image: 'bulwark/guard:1' },
        security: { requireImageDigest: true },
      },
      'guard.image: guard.image must be pinned by digest (image@sha256:...) when security.requireImageDigest is true',
    ],
    [
      'model port that collides with the guard',
      { ...minimal, model: { image: 'x', port: 8080 } },
      'model.port: model.port must not be 8080, 8081, 9090 or 9091: the guard and output check use them',
    ],
    ['misspelt field', { ...minimal, replcas: 2 }, ': Unrecognized key: "replcas"'],
    [
      'secret with both env and mountPath',
      { ...minimal, secrets: [{ secretName: 's', key: 'k', env: 'TOKEN', mountPath: '/x' }] },
      'secrets.0: set exactly one of env or mountPath for a secret',
    ],
    [
      'custom egress without rules',
      { ...minimal, network: { egress: { mode: 'custom' } } },
      'network.egress.rules: egress.mode custom needs at least one entry in egress.rules',
    ],
    [
      'autoscaling bounds inverted',
      { ...minimal, autoscaling: { minReplicas: 5, maxReplicas: 2 } },
      'autoscaling.minReplicas: minReplicas must not exceed maxReplicas',
    ],
    [
      'volume with two sources',
      {
        ...minimal,
        model: {
          image: 'x',
          volumes: [{ name: 'w', mountPath: '/m', emptyDir: {}, configMap: { name: 'c' } }],
        },
      },
      'model.volumes.0: a volume needs exactly one source: persistentVolumeClaim, emptyDir, configMap, secret, csi or ephemeral',
    ],
    [
      'bad quantity',
      { ...minimal, model: { image: 'x', resources: { limits: { memory: '2 GB' } } } },
      'model.resources.limits.memory: must be a quantity such as 500m, 2Gi or 4',
    ],
  ];
  for (const [name, spec, expected] of invalid) {
    test(`rejects ${name}`, () => {
      assert.ok(
        problems(spec).includes(expected),
        `expected «${expected}» in ${JSON.stringify(problems(spec))}`,
      );
    });
  }
});
