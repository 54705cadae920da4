import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { V1Container, V1PodTemplateSpec } from '@kubernetes/client-node';
import { configFrom } from '../../cli/commands/guard.ts';
import { parsePolicyManifest } from '../../shared/policy/index.ts';
import { scratchDir } from '../../test/support/scratch.ts';
import { Annotation, ContainerName, GuardPort, Label, MANAGED_BY, PolicyFile } from '../constants.ts';
import { guardAppArmorProfile } from './apparmor.ts';
import {
  llmFrom,
  type Scenario,
  sampleInputs,
  sampleLlm,
  sampleLlmRaw,
  scenarios,
  testConfig,
} from './fixtures.ts';
import {
  buildDesiredState,
  buildPolicyConfigMap,
  DEFAULT_GUARD_RESOURCES,
  DEFAULT_OUTPUT_CHECK_RESOURCES,
  InvalidSpecError,
  type KubeObject,
  names,
  ownedKinds,
  policyConfigMapName,
  referencedSecrets,
  renderPolicyFile,
  secretsHash,
} from './index.ts';
import { restrictedViolations } from './podsecurity.ts';
import { guardSeccompProfile } from './seccomp.ts';

const inputs = sampleInputs();

function state(s: Pick<Scenario, 'llm' | 'config'>): KubeObject[] {
  return buildDesiredState(s.llm, inputs, s.config);
}
function only(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0]!;
}
function template(objects: KubeObject[]): V1PodTemplateSpec {
  return (only(objects, 'Deployment').spec as { template: V1PodTemplateSpec }).template;
}
function container(objects: KubeObject[], name: string): V1Container | undefined {
  return template(objects).spec!.containers.find((c) => c.name === name);
}
// biome-ignore lint/suspicious/noExplicitAny: tests reach into the built objects freely.
type Spec = Record<string, any>;
const specOf = (o: KubeObject) => o.spec as Spec;
/** What `bulwark guard` makes of a container's arguments (no environment variables). */
const guardConfig = (c: V1Container) => configFrom(c.args!.slice(1), {});

describe('invariants over every scenario', () => {
  for (const scenario of scenarios()) {
    describe(scenario.name, () => {
      const objects = state(scenario);
      const namespace = scenario.llm.metadata.namespace;
      const instance = scenario.llm.metadata.name;

      test('the pod template passes Pod Security restricted', () => {
        const t = template(objects);
        assert.deepEqual(restrictedViolations(t.spec!, t.metadata), []);
      });

      test('every container is locked down (read-only root, no escalation, no capabilities)', () => {
        for (const c of template(objects).spec!.containers) {
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
          assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, c.name);
          assert.ok(c.readinessProbe && c.livenessProbe && c.startupProbe, `${c.name} has all three probes`);
        }
        const pod = template(objects).spec!;
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(typeof pod.securityContext?.runAsUser, 'number');
        assert.notEqual(pod.securityContext?.runAsUser, 0);
      });

      test('every object carries the app.kubernetes.io labels and, when namespaced, a controller owner reference', () => {
        for (const o of objects) {
          const where = `${o.kind}/${o.metadata.name}`;
          assert.equal(o.metadata.labels?.[Label.managedBy], MANAGED_BY, where);
          assert.equal(o.metadata.labels?.[Label.instance], instance, where);
          assert.ok(o.metadata.labels?.[Label.name], where);
          const kind = ownedKinds.find((k) => k.apiVersion === o.apiVersion && k.kind === o.kind);
          assert.ok(kind, `${where} is in ownedKinds`);
          if (kind.namespaced) {
            assert.equal(o.metadata.namespace, namespace, where);
            assert.deepEqual(o.metadata.ownerReferences, [
              {
                apiVersion: 'bulwark.dev/v1alpha1',
                kind: 'LlmDeployment',
                name: instance,
                uid: scenario.llm.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ]);
          } else {
            assert.equal(o.metadata.namespace, undefined, where);
            assert.equal(o.metadata.ownerReferences, undefined, where);
            assert.equal(o.metadata.labels?.[Label.instanceNamespace], namespace, where);
          }
        }
      });

      test('the model port is neither in the Service nor admitted by the NetworkPolicy', () => {
        const modelPort = scenario.llm.spec.model.port;
        const service = specOf(only(objects, 'Service'));
        for (const p of service.ports) {
          assert.notEqual(p.port, modelPort);
          assert.notEqual(p.targetPort, modelPort);
        }
        const np = specOf(only(objects, 'NetworkPolicy'));
        assert.deepEqual(np.policyTypes, ['Ingress', 'Egress']);
        const ingressPorts = np.ingress.flatMap((r: Spec) => r.ports.map((p: Spec) => p.port));
        assert.ok(!ingressPorts.includes(modelPort));
        assert.ok(!ingressPorts.includes(GuardPort.outputCheckHttp), 'the output check is internal too');
        for (const rule of np.ingress)
          assert.ok(rule.from.length > 0, 'an ingress rule never admits everyone');
        assert.ok(!template(objects).spec!.containers.find((c) => c.name === ContainerName.model)?.ports);
      });

      test('the result shares no object with the inputs or with itself', () => {
        const seen = new Set<object>();
        const inputObjects = new Set<object>();
        const collect = (value: unknown, into: Set<object>, where: string, unique: boolean) => {
          if (value === null || typeof value !== 'object') return;
          if (unique) assert.ok(!into.has(value), `shared reference at ${where}`);
          into.add(value);
          for (const [k, v] of Object.entries(value)) collect(v, into, `${where}.${k}`, unique);
        };
        collect(scenario.llm, inputObjects, 'llm', false);
        collect(inputs, inputObjects, 'inputs', false);
        for (const o of state(scenario)) collect(o, seen, `${o.kind}/${o.metadata.name}`, true);
        for (const o of seen) assert.ok(!inputObjects.has(o), 'an output object is an input object');
      });

      test('buildDesiredState is deterministic', () => {
        assert.deepEqual(state(scenario), objects);
        assert.equal(JSON.stringify(state(scenario)), JSON.stringify(objects));
      });

      test('object names are unique per kind and valid', () => {
        const seen = new Set<string>();
        for (const o of objects) {
          const key = `${o.kind}/${o.metadata.name}`;
          assert.ok(!seen.has(key), `duplicate ${key}`);
          seen.add(key);
          assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
          assert.ok(o.metadata.name.length <= 253);
        }
      });
    });
  }
});

describe('Deployment', () => {
  test('chains guard -> output-check -> model on localhost when the output check is on', () => {
    const objects = state({ llm: sampleLlm(), config: testConfig });
    assert.deepEqual(
      template(objects).spec!.containers.map((c) => c.name),
      ['guard', 'output-check', 'model'],
    );
    const guard = guardConfig(container(objects, 'guard')!);
    assert.equal(guard.role, 'input');
    assert.equal(guard.upstreamUrl, 'http://127.0.0.1:8081');
    assert.equal(guard.outputScan, 'delegate');
    assert.equal(guard.upstreamHealthPath, '/v1/models');
    assert.deepEqual(guard.listen, { host: '0.0.0.0', port: 8080 });
    const oc = guardConfig(container(objects, 'output-check')!);
    assert.equal(oc.role, 'output');
    assert.equal(oc.upstreamUrl, 'http://127.0.0.1:8000');
    assert.equal(oc.outputScan, 'on');
    assert.equal(oc.upstreamHealthPath, '/health');
    assert.deepEqual(oc.listen, { host: '127.0.0.1', port: 8081 });
    assert.deepEqual(oc.adminListen, { host: '0.0.0.0', port: 9091 });
  });

  test('guard and output check get their own default resources when the spec sets none', () => {
    const llm = sampleLlm((spec) => {
      delete spec.guard.resources;
      spec.outputCheck = { enabled: true };
    });
    const objects = state({ llm, config: testConfig });
    assert.deepEqual(container(objects, 'guard')!.resources, DEFAULT_GUARD_RESOURCES);
    assert.deepEqual(container(objects, 'output-check')!.resources, DEFAULT_OUTPUT_CHECK_RESOURCES);
    // The output check loads no input model, the guard the whole cascade.
    assert.equal(DEFAULT_OUTPUT_CHECK_RESOURCES.requests!.memory, '192Mi');
    assert.equal(DEFAULT_GUARD_RESOURCES.requests!.memory, '320Mi');
  });

  test('without the output check the guard talks to the model and scans responses itself', () => {
    const llm = sampleLlm((spec) => {
      spec.outputCheck = { enabled: false };
    });
    const objects = state({ llm, config: testConfig });
    assert.equal(container(objects, 'output-check'), undefined);
    const guard = guardConfig(container(objects, 'guard')!);
    assert.equal(guard.upstreamUrl, 'http://127.0.0.1:8000');
    assert.equal(guard.outputScan, 'on');
    assert.equal(guard.upstreamHealthPath, '/health');
    assert.deepEqual(
      specOf(only(objects, 'Service')).ports.map((p: Spec) => p.port),
      [8080, 9090],
    );
  });

  test("every scenario's guard arguments are accepted by the real `bulwark guard` flag parser", () => {
    for (const { name, llm, config } of scenarios()) {
      for (const c of template(state({ llm, config })).spec!.containers.filter((c) => c.name !== 'model')) {
        assert.equal(c.args?.[0], 'guard', `${name}/${c.name}`);
        const parsed = guardConfig(c);
        assert.equal(parsed.policyPath, `${PolicyFile.mountPath}/${PolicyFile.key}`, `${name}/${c.name}`);
        assert.equal(parsed.upstreamTimeoutMs, llm.spec.guard.upstreamTimeoutSeconds * 1000);
        assert.equal(parsed.maxConcurrency, llm.spec.guard.maxConcurrency);
        assert.equal(parsed.maxRequestBytes, llm.spec.guard.maxRequestBytes);
        // Probes hit the admin port the guard really listens on.
        assert.equal(c.readinessProbe?.httpGet?.port, parsed.adminListen.port);
      }
    }
  });

  test('passes the guard limits, rate limit and API keys file to the guard', () => {
    const args = container(state({ llm: sampleLlm(), config: testConfig }), 'guard')!.args!;
    const flag = (name: string) => args[args.indexOf(name) + 1];
    assert.equal(args[0], 'guard');
    assert.equal(flag('--policy'), `${PolicyFile.mountPath}/${PolicyFile.key}`);
    assert.equal(flag('--rate-limit-rpm'), '120');
    assert.equal(flag('--rate-limit-burst'), '20');
    assert.equal(flag('--fail-mode'), 'closed');
    assert.equal(flag('--api-keys'), '/etc/bulwark/api-keys/api-keys');
    assert.equal(flag('--max-request-bytes'), '1048576');
  });

  test('omits --fail-mode (the policy decides) and --api-keys when unset', () => {
    const llm = sampleLlm((spec) => {
      delete spec.guard.failMode;
      delete spec.guard.apiKeySecretRef;
      delete spec.guard.rateLimit;
    });
    const objects = state({ llm, config: testConfig });
    const args = container(objects, 'guard')!.args!;
    for (const flag of ['--fail-mode', '--api-keys', '--rate-limit-rpm'])
      assert.ok(!args.includes(flag), flag);
    assert.ok(!template(objects).spec!.volumes!.some((v) => v.name === 'bulwark-api-keys'));
  });

  test('GPUs are requested and limited as nvidia.com/gpu', () => {
    const llm = sampleLlm((spec) => {
      spec.model.resources = { gpus: 4 };
    });
    const model = container(state({ llm, config: testConfig }), 'model')!;
    assert.deepEqual(model.resources, {
      requests: { 'nvidia.com/gpu': '4' },
      limits: { 'nvidia.com/gpu': '4' },
    });
  });

  test('the model startup probe covers startupTimeoutSeconds', () => {
    const llm = sampleLlm((spec) => {
      spec.model.startupTimeoutSeconds = 1805;
      spec.model.readinessPath = '/v1/models';
    });
    const model = container(state({ llm, config: testConfig }), 'model')!;
    const probe = model.startupProbe!;
    assert.ok(probe.periodSeconds! * probe.failureThreshold! >= 1805);
    assert.equal(probe.httpGet?.path, '/v1/models');
    assert.equal(model.readinessProbe?.httpGet?.path, '/v1/models');
    assert.equal(model.readinessProbe?.httpGet?.port, 8000);
  });

  test('guard readiness is /readyz on the admin port (it waits for the upstream chain)', () => {
    const guard = container(state({ llm: sampleLlm(), config: testConfig }), 'guard')!;
    assert.deepEqual(guard.readinessProbe?.httpGet, {
      path: '/readyz',
      port: GuardPort.admin,
      scheme: 'HTTP',
    });
    assert.equal(guard.livenessProbe?.httpGet?.path, '/healthz');
  });

  test('replicas are left to the HPA under autoscaling, and the HPA targets the Deployment', () => {
    const llm = sampleLlm((spec) => {
      spec.autoscaling = { minReplicas: 2, maxReplicas: 5 };
    });
    const objects = state({ llm, config: testConfig });
    assert.ok(!('replicas' in specOf(only(objects, 'Deployment'))));
    const hpa = specOf(only(objects, 'HorizontalPodAutoscaler'));
    assert.deepEqual(hpa.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'support-bot' });
    assert.equal(hpa.minReplicas, 2);
    assert.equal(hpa.metrics[0].resource.target.averageUtilization, 80);
    assert.equal(specOf(only(objects, 'PodDisruptionBudget')).maxUnavailable, '25%');

    const fixed = state({ llm: sampleLlm(), config: testConfig });
    assert.equal(specOf(only(fixed, 'Deployment')).replicas, 2);
    assert.equal(fixed.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
  });

  test('rollout strategy comes from the spec', () => {
    const llm = sampleLlm((spec) => {
      spec.rollout = { maxSurge: '50%', maxUnavailable: 1 };
    });
    const strategy = specOf(only(state({ llm, config: testConfig }), 'Deployment')).strategy;
    assert.deepEqual(strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '50%', maxUnavailable: 1 },
    });
  });

  test('pod template annotations carry the policy and secrets hashes', () => {
    const t = template(state({ llm: sampleLlm(), config: testConfig }));
    assert.equal(t.metadata?.annotations?.[Annotation.policyHash], inputs.policy.hash);
    assert.equal(t.metadata?.annotations?.[Annotation.secretsHash], inputs.secretsHash);
    const volume = t.spec!.volumes!.find((v) => v.name === 'bulwark-policy');
    assert.equal(
      volume?.configMap?.name,
      buildPolicyConfigMap(sampleLlm(), inputs, testConfig).metadata.name,
    );
  });

  test('secrets: env by secretKeyRef, files by subPath at exactly their path, read-only', () => {
    const llm = sampleLlm((spec) => {
      spec.secrets = [
        { secretName: 'hf-token', key: 'token', env: 'HF_TOKEN' },
        { secretName: 'tls', key: 'ca.crt', mountPath: '/etc/model/ca.crt' },
        { secretName: 'tls', key: 'client.key', mountPath: '/etc/model/client.key' },
      ];
    });
    const t = template(state({ llm, config: testConfig }));
    const model = t.spec!.containers.find((c) => c.name === 'model')!;
    assert.deepEqual(
      model.env!.find((e) => e.name === 'HF_TOKEN'),
      { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } },
    );
    const secretVolumes = t.spec!.volumes!.filter((v) => v.secret?.secretName === 'tls');
    assert.equal(secretVolumes.length, 1, 'one volume per Secret');
    const mounts = model.volumeMounts!.filter((m) => m.name === secretVolumes[0]!.name);
    assert.deepEqual(mounts, [
      { name: secretVolumes[0]!.name, mountPath: '/etc/model/ca.crt', subPath: 'ca.crt', readOnly: true },
      {
        name: secretVolumes[0]!.name,
        mountPath: '/etc/model/client.key',
        subPath: 'client.key',
        readOnly: true,
      },
    ]);
    // The API keys are only ever mounted into the guard.
    const keysMounts = t.spec!.containers.filter((c) =>
      c.volumeMounts?.some((m) => m.name === 'bulwark-api-keys'),
    );
    assert.deepEqual(
      keysMounts.map((c) => c.name),
      ['guard'],
    );
  });

  test('a model volume at /tmp, HOME or /dev/shm replaces the scratch emptyDir there', () => {
    const llm = sampleLlm((spec) => {
      spec.model.volumes.push({
        name: 'cache',
        mountPath: '/home/model',
        readOnly: false,
        emptyDir: { sizeLimit: '50Gi' },
      });
    });
    const t = template(state({ llm, config: testConfig }));
    const model = t.spec!.containers.find((c) => c.name === 'model')!;
    assert.deepEqual(
      model.volumeMounts!.filter((m) => m.mountPath === '/home/model').map((m) => m.name),
      ['cache'],
    );
    assert.ok(!t.spec!.volumes!.some((v) => v.name === 'bulwark-model-home'));
    assert.deepEqual(
      t.spec!.volumes!.find((v) => v.name === 'cache'),
      { name: 'cache', emptyDir: { sizeLimit: '50Gi' } },
    );
  });

  test('Generated profiles go on the guard containers only; the model keeps RuntimeDefault', () => {
    const llm = sampleLlm((spec) => {
      spec.security = { seccomp: 'Generated', appArmor: 'Generated' };
    });
    const objects = state({ llm, config: testConfig });
    const t = template(objects);
    for (const name of ['guard', 'output-check']) {
      const sc = container(objects, name)!.securityContext!;
      assert.equal(sc.seccompProfile?.type, 'Localhost');
      assert.match(sc.seccompProfile?.localhostProfile ?? '', /^bulwark\/guard-[0-9a-f]{12}\.json$/);
      assert.equal(sc.appArmorProfile?.type, 'Localhost');
      assert.equal(sc.appArmorProfile?.localhostProfile, guardAppArmorProfile(llm).name);
    }
    assert.equal(container(objects, 'model')!.securityContext!.seccompProfile, undefined);
    assert.equal(t.spec!.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const profiles = objects.find((o) => o.metadata.name === 'support-bot-security-profiles');
    const data = profiles?.data as Record<string, string>;
    const file = container(objects, 'guard')!.securityContext!.seccompProfile!.localhostProfile!.replace(
      'bulwark/',
      '',
    );
    assert.deepEqual(JSON.parse(data[file]!), guardSeccompProfile(llm));
    assert.equal(data[`${guardAppArmorProfile(llm).name}.apparmor`], guardAppArmorProfile(llm).text);
  });

  for (const mode of ['NodeDefault', 'Unconfined'] as const) {
    test(`AppArmor ${mode} leaves the field unset (admitted on nodes without AppArmor; restricted allows it)`, () => {
      const llm = sampleLlm((spec) => {
        spec.security = { appArmor: mode };
      });
      const t = template(state({ llm, config: testConfig }));
      assert.equal(t.spec!.securityContext?.appArmorProfile, undefined);
      for (const c of t.spec!.containers) assert.equal(c.securityContext?.appArmorProfile, undefined);
      assert.deepEqual(restrictedViolations(t.spec!, t.metadata), []);
    });
  }

  test('AppArmor defaults to NodeDefault; RuntimeDefault is required explicitly at pod level', () => {
    const defaulted = sampleLlm((spec) => {
      spec.security = {};
    });
    assert.equal(defaulted.spec.security.appArmor, 'NodeDefault');
    const llm = sampleLlm((spec) => {
      spec.security = { appArmor: 'RuntimeDefault' };
    });
    const t = template(state({ llm, config: testConfig }));
    assert.deepEqual(t.spec!.securityContext?.appArmorProfile, { type: 'RuntimeDefault' });
  });

  test('with SPO the pods reference the operator-installed profiles', () => {
    const llm = sampleLlm((spec) => {
      spec.security = { seccomp: 'Generated', appArmor: 'Generated' };
    });
    const objects = state({ llm, config: { ...testConfig, securityProfilesOperator: true } });
    const seccomp = only(objects, 'SeccompProfile');
    const apparmor = only(objects, 'AppArmorProfile');
    const sc = container(objects, 'guard')!.securityContext!;
    assert.equal(sc.seccompProfile?.localhostProfile, `operator/${seccomp.metadata.name}.json`);
    assert.equal(sc.appArmorProfile?.localhostProfile, apparmor.metadata.name);
    assert.deepEqual(seccomp.spec, guardSeccompProfile(llm));
    assert.ok(seccomp.metadata.name.startsWith('bulwark-llm-support-bot-guard-'));
  });

  test('runtimeClassName and scheduling are passed through', () => {
    const llm = sampleLlm((spec) => {
      spec.security.runtimeClassName = 'kata-cc';
      spec.scheduling.priorityClassName = 'high';
    });
    const pod = template(state({ llm, config: testConfig })).spec!;
    assert.equal(pod.runtimeClassName, 'kata-cc');
    assert.equal(pod.priorityClassName, 'high');
    assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.equal(pod.tolerations?.[0]?.key, 'nvidia.com/gpu');
  });
});

describe('NetworkPolicy', () => {
  const np = (mutate: (spec: Spec) => void) =>
    specOf(only(state({ llm: sampleLlm(mutate), config: testConfig }), 'NetworkPolicy'));

  test('no peers means no ingress rule at all (deny), never an empty from', () => {
    const spec = np((s) => {
      delete s.network.allowFrom;
      s.network.metricsFrom = [];
    });
    assert.deepEqual(spec.ingress, []);
  });

  test('egress none denies everything; dns allows only port 53 to kube-system; custom adds the rules', () => {
    assert.deepEqual(
      np((s) => {
        s.network.egress = { mode: 'none' };
      }).egress,
      [],
    );
    const dns = np(() => {}).egress;
    assert.equal(dns.length, 1);
    assert.deepEqual(dns[0].to, [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
    ]);
    assert.deepEqual(
      dns[0].ports.map((p: Spec) => `${p.protocol}/${p.port}`),
      ['UDP/53', 'TCP/53'],
    );
    const rule = { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'TCP', port: 443 }] };
    const custom = np((s) => {
      s.network.egress = { mode: 'custom', rules: [rule] };
    }).egress;
    assert.deepEqual(custom, [dns[0], rule]);
  });

  test('metrics peers reach only the metrics ports', () => {
    const spec = np(() => {});
    assert.deepEqual(
      spec.ingress[1].ports.map((p: Spec) => p.port),
      [9090, 9091],
    );
    assert.deepEqual(
      spec.ingress[0].ports.map((p: Spec) => p.port),
      [8080],
    );
  });
});

describe('other kinds', () => {
  test('the ServiceAccount mounts no token and no Role is created', () => {
    const objects = state({ llm: sampleLlm(), config: testConfig });
    assert.equal(only(objects, 'ServiceAccount').automountServiceAccountToken, false);
    assert.equal(template(objects).spec!.serviceAccountName, names.serviceAccount(sampleLlm()));
    assert.ok(!objects.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding'));
  });

  test('PDB: at least one pod may always be disrupted; none for zero replicas', () => {
    const pdb = (replicas: number) =>
      state({
        llm: sampleLlm((s) => {
          s.replicas = replicas;
        }),
        config: testConfig,
      }).find((o) => o.kind === 'PodDisruptionBudget');
    assert.equal(pdb(0), undefined);
    assert.equal(specOf(pdb(1)!).maxUnavailable, 1);
    assert.equal(specOf(pdb(2)!).maxUnavailable, 1);
    assert.equal(specOf(pdb(12)!).maxUnavailable, 3);
    assert.equal(specOf(pdb(2)!).unhealthyPodEvictionPolicy, 'AlwaysAllow');
  });

  test('ServiceMonitor only when its CRD exists, scraping every metrics port', () => {
    assert.ok(!state({ llm: sampleLlm(), config: testConfig }).some((o) => o.kind === 'ServiceMonitor'));
    const sm = only(
      state({ llm: sampleLlm(), config: { ...testConfig, serviceMonitor: true } }),
      'ServiceMonitor',
    );
    assert.deepEqual(
      specOf(sm).endpoints.map((e: Spec) => e.port),
      ['metrics', 'oc-metrics'],
    );
  });

  test('the ownedKinds list matches what the builders can emit, in both directions', () => {
    const emitted = new Set<string>();
    for (const { llm, config } of scenarios()) {
      for (const o of buildDesiredState(llm, inputs, { ...config, serviceMonitor: true }))
        emitted.add(`${o.apiVersion} ${o.kind}`);
    }
    assert.deepEqual([...emitted].sort(), ownedKinds.map((k) => `${k.apiVersion} ${k.kind}`).sort());
  });

  test('apply order: NetworkPolicy and ConfigMaps before the Deployment', () => {
    const kinds = state({ llm: sampleLlm(), config: testConfig }).map((o) => o.kind);
    assert.ok(kinds.indexOf('NetworkPolicy') < kinds.indexOf('Deployment'));
    assert.ok(kinds.indexOf('ConfigMap') < kinds.indexOf('Deployment'));
    assert.ok(kinds.indexOf('ServiceAccount') < kinds.indexOf('Deployment'));
  });
});

describe('policy ConfigMap', () => {
  test('is immutable, named by its content, labelled by the policy hash, and the guard reads back the same policy', () => {
    const cm = buildPolicyConfigMap(sampleLlm(), inputs, testConfig);
    assert.equal(cm.immutable, true);
    assert.match(cm.metadata.name ?? '', /^support-bot-policy-[0-9a-f]{16}$/);
    assert.equal(cm.metadata.labels?.[Label.policyHash], inputs.policy.hash);
    const loaded = parsePolicyManifest((cm.data as Record<string, string>)[PolicyFile.key]!);
    assert.equal(loaded.hash, inputs.policy.hash);
    assert.equal(loaded.name, 'support-bot');
  });

  test('the same spec renders to the same bytes whatever order its keys came in', () => {
    const reordered = structuredClone(inputs);
    const spec = reordered.policy.spec as unknown as Record<string, unknown>;
    const entries = Object.entries(spec).reverse();
    for (const key of Object.keys(spec)) delete spec[key];
    for (const [k, v] of entries) spec[k] = v;
    assert.equal(renderPolicyFile(reordered), renderPolicyFile(inputs));
    assert.equal(policyConfigMapName(sampleLlm(), reordered), policyConfigMapName(sampleLlm(), inputs));
  });

  test('an equal spec under another policy name gets its own ConfigMap (immutable data never changes)', () => {
    const renamed = structuredClone(inputs);
    renamed.policy.metadata.name = 'support-bot-copy';
    const a = buildPolicyConfigMap(sampleLlm(), inputs, testConfig);
    const b = buildPolicyConfigMap(sampleLlm(), renamed, testConfig);
    assert.equal(a.metadata.labels?.[Label.policyHash], b.metadata.labels?.[Label.policyHash]);
    assert.notEqual(a.metadata.name, b.metadata.name);
    assert.notDeepEqual(a.data, b.data);
  });
});

describe('secrets', () => {
  test('referencedSecrets lists the API keys and every spec.secrets entry', () => {
    assert.deepEqual(
      referencedSecrets(sampleLlm()).map((r) => `${r.secretName}/${r.key}`),
      ['support-bot-api-keys/api-keys', 'hf-token/token'],
    );
  });

  test('secretsHash changes with a referenced key, not with an unrelated one, and not with order', () => {
    const llm = sampleLlm();
    type Data = Map<string, Record<string, string> | undefined>;
    const data: Data = new Map<string, Record<string, string> | undefined>([
      ['support-bot-api-keys', { 'api-keys': 'YQ==' }],
      ['hf-token', { token: 'dA==', other: 'eA==' }],
    ]);
    const withEntry = (name: string, value: Record<string, string> | undefined): Data =>
      new Map([...data, [name, value]]);
    const base = secretsHash(llm, data);
    assert.equal(secretsHash(llm, new Map([...data].reverse())), base);
    assert.equal(secretsHash(llm, withEntry('hf-token', { token: 'dA==', other: 'eQ==' })), base);
    assert.notEqual(secretsHash(llm, withEntry('hf-token', { token: 'dQ==' })), base);
    assert.notEqual(secretsHash(llm, withEntry('hf-token', undefined)), base);
  });
});

describe('invalid specs', () => {
  test('requireImageDigest rejects the operator default guard image unless guard.image is pinned', () => {
    const llm = sampleLlm((spec) => {
      spec.security.requireImageDigest = true;
      spec.model.image = `vllm/vllm-openai@sha256:${'a'.repeat(64)}`;
    });
    assert.throws(
      () => buildDesiredState(llm, inputs, testConfig),
      (err: unknown) => {
        return err instanceof InvalidSpecError && err.field === 'spec.guard.image';
      },
    );
    const pinned = sampleLlm((spec) => {
      spec.security.requireImageDigest = true;
      spec.model.image = `vllm/vllm-openai@sha256:${'a'.repeat(64)}`;
      spec.guard.image = `ghcr.io/bulwark-dev/guard@sha256:${'b'.repeat(64)}`;
    });
    assert.equal(
      container(buildDesiredState(pinned, inputs, testConfig), 'guard')!.image,
      pinned.spec.guard.image,
    );
  });

  test('a name longer than a label value is refused', () => {
    const raw = sampleLlmRaw();
    raw.metadata.name = `a${'b'.repeat(70)}`;
    assert.throws(() => buildDesiredState(llmFrom(raw), inputs, testConfig), InvalidSpecError);
  });

  test('volume names starting with bulwark- are reserved', () => {
    const llm = sampleLlm((spec) => {
      spec.model.volumes[0].name = 'bulwark-policy';
    });
    assert.throws(() => buildDesiredState(llm, inputs, testConfig), /reserves/);
  });

  test('a dotted name still gets a valid Service name', () => {
    const raw = sampleLlmRaw();
    raw.metadata.name = 'qwen.v2';
    const llm = llmFrom(raw);
    const service = only(buildDesiredState(llm, inputs, testConfig), 'Service');
    assert.match(service.metadata.name, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(service.metadata.name.length <= 63);
  });
});

test('without a uid (offline render) there are no owner references rather than fake ones', () => {
  const raw = sampleLlmRaw();
  delete raw.metadata.uid;
  for (const o of buildDesiredState(llmFrom(raw), inputs, testConfig)) {
    assert.equal(o.metadata.ownerReferences, undefined, o.kind);
  }
});

describe('generated profiles', () => {
  const profile = guardSeccompProfile(sampleLlm());

  test('the seccomp profile is a well-formed OCI profile with unique syscall names', () => {
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    const allowed = profile.syscalls
      .filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args)
      .flatMap((r) => r.names);
    assert.equal(new Set(allowed).size, allowed.length, 'no duplicates');
    for (const rule of profile.syscalls) {
      assert.ok(rule.names.length > 0);
      for (const arg of rule.args ?? []) assert.ok(arg.index >= 0 && arg.index <= 5);
    }
    for (const dangerous of [
      'ptrace',
      'mount',
      'umount2',
      'unshare',
      'setns',
      'bpf',
      'kexec_load',
      'init_module',
      'keyctl',
      'userfaultfd',
      'perf_event_open',
      'fork',
      'vfork',
      'execveat',
      'chroot',
      'pivot_root',
    ]) {
      assert.ok(
        !profile.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(dangerous)),
        dangerous,
      );
    }
    const clone = profile.syscalls.find((r) => r.names.includes('clone'));
    assert.deepEqual(clone?.args, [
      { index: 0, value: 0x10000, valueTwo: 0x10000, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    assert.deepEqual(
      profile.syscalls.find((r) => r.names.includes('clone3')),
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    );
  });

  test('every syscall name exists on x86_64 or arm64 (kernel UAPI headers)', (t) => {
    const tables = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm-generic/unistd.h'];
    const known = new Set<string>();
    for (const file of tables) {
      try {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/#define __NR(?:3264)?_([a-z0-9_]+)\s/g)) known.add(m[1]!);
      } catch {}
    }
    if (known.size === 0) return t.skip('kernel headers not installed');
    for (const name of profile.syscalls.flatMap((r) => r.names))
      assert.ok(known.has(name), `unknown syscall ${name}`);
  });

  test('egress none drops UDP sockets from both profiles', () => {
    const none = sampleLlm((spec) => {
      spec.network.egress = { mode: 'none' };
    });
    const dgram = (p: typeof profile) =>
      p.syscalls.filter((r) => r.names.includes('socket') && r.args?.[1]?.valueTwo === 2);
    assert.equal(dgram(profile).length, 2);
    assert.equal(dgram(guardSeccompProfile(none)).length, 0);
    assert.match(guardAppArmorProfile(sampleLlm()).text, /network inet dgram,/);
    assert.doesNotMatch(guardAppArmorProfile(none).text, /dgram/);
  });

  test('the AppArmor profile denies mount, ptrace and raw sockets and only writes /tmp', () => {
    const { name, text } = guardAppArmorProfile(sampleLlm());
    assert.match(name, /^bulwark-guard-[0-9a-f]{12}$/);
    for (const rule of ['deny mount,', 'deny ptrace,', 'deny network raw,', 'deny /tmp/** mx,'])
      assert.ok(text.includes(rule), rule);
    const writable = text.split('\n').filter((l) => /^\s+(owner\s+)?\/\S*\s+[a-z]*w[a-z]*,/.test(l));
    assert.deepEqual(
      writable.map((l) => l.trim()),
      ['owner /tmp/** rwk,'],
    );
    assert.ok(text.includes(`profile ${name} `));
  });

  test('apparmor_parser accepts the AppArmor profile', (t) => {
    const which = spawnSync('apparmor_parser', ['--version']);
    if (which.error) return t.skip('apparmor_parser not installed');
    const dir = scratchDir('aa');
    for (const egress of ['dns', 'none']) {
      const file = join(dir, `guard-${egress}`);
      writeFileSync(
        file,
        guardAppArmorProfile(
          sampleLlm((s) => {
            s.network.egress = { mode: egress };
          }),
        ).text,
      );
      const result = spawnSync(
        'apparmor_parser',
        ['--skip-kernel-load', '--skip-cache', '--skip-read-cache', file],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
    }
  });
});

test('the restricted checker itself catches what Pod Security would reject', () => {
  const t = template(state({ llm: sampleLlm(), config: testConfig }));
  const broken = structuredClone(t.spec!);
  broken.securityContext!.appArmorProfile = { type: 'Unconfined' };
  broken.securityContext!.seccompProfile = undefined;
  broken.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
  broken.containers[1]!.securityContext!.capabilities = { add: ['NET_RAW'] };
  broken.containers[2]!.securityContext!.runAsUser = 0;
  broken.volumes!.push({ name: 'host', hostPath: { path: '/' } });
  const problems = restrictedViolations(broken);
  for (const expected of [
    'pod: appArmorProfile Unconfined',
    'container guard: allowPrivilegeEscalation is not false',
    'container output-check: capabilities do not drop ALL',
    'container output-check: adds capability NET_RAW',
    'container model: runAsUser 0',
    'container model: seccompProfile undefined',
    'volume host: hostPath',
  ]) {
    assert.ok(problems.includes(expected), `${expected} in ${problems.join('; ')}`);
  }
});
