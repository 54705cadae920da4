// Test inputs for the builders: the shipped samples, parsed with the API schemas (so defaults apply),
// plus named variations. Only tests import this module.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';
import { policyHash } from '../../shared/policy/index.ts';
import type { OperatorConfig, ResolvedInputs } from './types.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw YAML data that the scenarios reshape freely before parsing.
type RawSpec = Record<string, any>;

const samples = new URL('../../manifests/samples/', import.meta.url);

function firstDocOfKind(file: string, kind: string): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(new URL(file, samples), 'utf8')).map((d) => d.toJS());
  const doc = docs.find((d) => d?.kind === kind);
  if (!doc) throw new Error(`no ${kind} in ${file}`);
  return doc;
}

/** The sample LlmDeployment as raw YAML data (before defaulting), with the uid the API server would set. */
export function sampleLlmRaw(): Record<string, unknown> & {
  metadata: Record<string, unknown>;
  spec: RawSpec;
} {
  const raw = firstDocOfKind('llmdeployment.yaml', 'LlmDeployment') as ReturnType<typeof sampleLlmRaw>;
  raw.metadata.uid = '6f1c2a9e-2b7d-4a51-9d0e-3c5b8e7f0a11';
  return raw;
}

/** Parses (and defaults) an LlmDeployment, failing loudly when a variation made it invalid. */
export function llmFrom(raw: unknown): LlmDeployment {
  return LlmDeployment.parse(raw);
}

/** The sample with `mutate` applied to its raw spec first. */
export function sampleLlm(
  mutate: (spec: RawSpec, raw: ReturnType<typeof sampleLlmRaw>) => void = () => {},
): LlmDeployment {
  const raw = sampleLlmRaw();
  mutate(raw.spec, raw);
  return llmFrom(raw);
}

export function samplePolicy(): GuardrailPolicy {
  return GuardrailPolicy.parse(firstDocOfKind('guardrailpolicy.yaml', 'GuardrailPolicy'));
}

export function sampleInputs(): ResolvedInputs {
  const policy = samplePolicy();
  return { policy: { ...policy, hash: policyHash(policy.spec) }, secretsHash: '3b1f0c9d2e8a7f64' };
}

export const testConfig: OperatorConfig = {
  guardImage: 'ghcr.io/bulwark-dev/guard:0.1.0',
  securityProfilesOperator: false,
  serviceMonitor: false,
};

/** Named scenarios, each covering something the golden files must pin down. */
export interface Scenario {
  name: string;
  llm: LlmDeployment;
  config: OperatorConfig;
}

export function scenarios(): Scenario[] {
  const base = testConfig;
  return [
    { name: 'sample', llm: sampleLlm(), config: base },
    {
      name: 'output-check-off',
      llm: sampleLlm((spec) => {
        spec.outputCheck = { enabled: false };
      }),
      config: base,
    },
    {
      name: 'minimal-cpu',
      // Only what the schema requires: no GPU, no secrets, no API keys, no peers, every default.
      llm: llmFrom({
        apiVersion: 'bulwark.dev/v1alpha1',
        kind: 'LlmDeployment',
        metadata: { name: 'tiny', namespace: 'llm', uid: '0b5d0a7e-1c1f-4f5e-8a43-2e9c3d4b5a61' },
        spec: {
          model: {
            image: 'ghcr.io/ggml-org/llama.cpp:server',
            args: ['-m', '/models/tiny.gguf', '--port', '8000'],
          },
          guard: { policyRef: { name: 'support-bot' } },
        },
      }),
      config: base,
    },
    {
      name: 'autoscaling',
      llm: sampleLlm((spec) => {
        spec.autoscaling = { minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 70 };
      }),
      config: { ...base, serviceMonitor: true },
    },
    {
      name: 'egress-none',
      llm: sampleLlm((spec) => {
        spec.network.egress = { mode: 'none' };
      }),
      config: base,
    },
    {
      name: 'egress-custom',
      llm: sampleLlm((spec) => {
        spec.network.egress = {
          mode: 'custom',
          rules: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
        };
      }),
      config: base,
    },
    {
      name: 'generated-profiles',
      llm: sampleLlm((spec) => {
        spec.security = { seccomp: 'Generated', appArmor: 'Generated', runtimeClassName: 'nvidia' };
      }),
      config: base,
    },
    {
      name: 'generated-profiles-spo',
      llm: sampleLlm((spec) => {
        spec.security = { seccomp: 'Generated', appArmor: 'Generated' };
      }),
      config: { ...base, securityProfilesOperator: true },
    },
    {
      name: 'secrets-env-and-file',
      llm: sampleLlm((spec) => {
        spec.secrets = [
          { secretName: 'hf-token', key: 'token', env: 'HF_TOKEN' },
          { secretName: 'model-tls', key: 'ca.crt', mountPath: '/etc/model/ca.crt' },
          { secretName: 'model-tls', key: 'client.key', mountPath: '/etc/model/client.key' },
          { secretName: 'license', key: 'license.json', mountPath: '/opt/nim/license.json' },
        ];
      }),
      config: base,
    },
    {
      name: 'multi-gpu',
      llm: sampleLlm((spec) => {
        spec.model.resources = { gpus: 4, requests: { cpu: 8, memory: '64Gi' }, limits: { memory: '96Gi' } };
        spec.model.args = [...spec.model.args, '--tensor-parallel-size', '4'];
        spec.model.startupTimeoutSeconds = 1800;
        spec.replicas = 6;
        spec.scheduling.affinity = {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'support-bot' } },
                },
              },
            ],
          },
        };
        spec.scheduling.priorityClassName = 'llm-serving';
      }),
      config: base,
    },
  ];
}
