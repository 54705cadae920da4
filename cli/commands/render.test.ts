import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';
import { DEFAULT_GUARD_IMAGE } from '../../operator/constants.ts';
import { secretDigests } from '../../operator/controller/reconciler.ts';
import { buildDesiredState, secretDataDigests, secretsHash } from '../../operator/desired/index.ts';
import { policyHash } from '../../shared/policy/index.ts';
import { scratchDir } from '../../test/support/scratch.ts';

const root = new URL('../..', import.meta.url).pathname;
const LLM = 'manifests/samples/llmdeployment.yaml';
const POLICY = 'manifests/samples/guardrailpolicy.yaml';

function bulwark(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [join(root, 'bin/bulwark.js'), 'render', ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const docsOf = (file: string) =>
  parseAllDocuments(readFileSync(join(root, file), 'utf8')).map((d) => d.toJS());
const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

function tempFile(name: string, text: string): string {
  const file = join(scratchDir('render'), name);
  writeFileSync(file, text);
  return file;
}

describe('bulwark render', () => {
  test('prints exactly what buildDesiredState returns for the samples', () => {
    const { code, stdout, stderr } = bulwark(['-f', LLM, '-p', POLICY]);
    assert.equal(code, 0, stderr);

    // The same computation in-process: the sample's Secret feeds the hash as the operator's digests would.
    const llmDocs = docsOf(LLM);
    const llm = LlmDeployment.parse(llmDocs.find((d) => d.kind === 'LlmDeployment'));
    const policy = GuardrailPolicy.parse(docsOf(POLICY).find((d) => d.kind === 'GuardrailPolicy'));
    const secret = llmDocs.find((d) => d.kind === 'Secret');
    const data = { 'api-keys': Buffer.from(secret.stringData['api-keys']).toString('base64') };
    const digests = new Map([
      ['support-bot-api-keys', secretDataDigests(data)],
      ['hf-token', undefined],
    ]);
    const expected = buildDesiredState(
      llm,
      { policy: { ...policy, hash: policyHash(policy.spec) }, secretsHash: secretsHash(llm, digests) },
      { guardImage: DEFAULT_GUARD_IMAGE, serviceMonitor: false, securityProfilesOperator: false },
    );
    assert.deepEqual(yamlDocs(stdout), JSON.parse(JSON.stringify(expected)));
    assert.match(stderr, /Secret hf-token \(spec\.secrets\[0\]\) is not among the files/);
    // Offline there is no uid, so no owner reference the garbage collector would act on.
    assert.ok(yamlDocs(stdout).every((o) => o.metadata.ownerReferences === undefined));
  });

  test('hashes Secrets the way the operator digests them', () => {
    const data = { token: Buffer.from('s3cret').toString('base64'), other: 'eA==' };
    const operatorView = secretDigests({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data,
    } as never);
    assert.deepEqual(secretDataDigests(data), operatorView.data);
  });

  test('finds the policy among the documents of -f and reads stdin', () => {
    const both = `${readFileSync(join(root, LLM), 'utf8')}\n---\n${readFileSync(join(root, POLICY), 'utf8')}`;
    const fromFile = bulwark(['-f', tempFile('all.yaml', both)]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const fromStdin = bulwark(['-f', '-'], both);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(fromStdin.stdout, fromFile.stdout);
    assert.deepEqual(
      yamlDocs(fromFile.stdout).map((o) => o.kind),
      ['ServiceAccount', 'ConfigMap', 'NetworkPolicy', 'Service', 'Deployment', 'PodDisruptionBudget'],
    );
  });

  test('without the referenced policy it is a clear error (exit 1)', () => {
    const { code, stdout, stderr } = bulwark(['-f', LLM]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      /references GuardrailPolicy llm\/support-bot, which is in none of the files; pass it with -p/,
    );
  });

  test('-o json prints a v1 List of the same objects; flags reach the config', () => {
    const sample = readFileSync(join(root, LLM), 'utf8');
    const generated = sample
      .replace(/^ {4}seccomp: \w+$/m, '    seccomp: Generated')
      .replace(/^ {4}appArmor: \w+$/m, '    appArmor: Generated');
    assert.equal(generated.match(/: Generated$/gm)?.length, 2, 'the sample sets seccomp and appArmor');
    const file = tempFile('generated.yaml', generated);
    const yaml = bulwark([
      '-f',
      file,
      '-p',
      POLICY,
      '--guard-image',
      'registry.local/guard:1',
      '--security-profiles-operator',
      '--service-monitor',
    ]);
    assert.equal(yaml.code, 0, yaml.stderr);
    const json = bulwark([
      '-f',
      file,
      '-p',
      POLICY,
      '--guard-image',
      'registry.local/guard:1',
      '--security-profiles-operator',
      '--service-monitor',
      '-o',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout);
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items, yamlDocs(yaml.stdout));
    const kinds = list.items.map((o: { kind: string }) => o.kind);
    for (const kind of ['SeccompProfile', 'AppArmorProfile', 'ServiceMonitor'])
      assert.ok(kinds.includes(kind), kind);
    const deployment = list.items.find((o: { kind: string }) => o.kind === 'Deployment');
    assert.equal(deployment.spec.template.spec.containers[0].image, 'registry.local/guard:1');
  });

  test('-n sets the namespace of manifests without one', () => {
    const llm = parse(
      readFileSync(join(root, 'manifests/samples/llmdeployment.yaml'), 'utf8').split('\n---\n')[0]!,
    );
    delete llm.metadata.namespace;
    const policy = docsOf(POLICY).find((d) => d.kind === 'GuardrailPolicy');
    delete policy.metadata.namespace;
    const file = tempFile('nons.yaml', `${JSON.stringify(llm)}\n---\n${JSON.stringify(policy)}\n`);
    const { code, stdout, stderr } = bulwark(['-f', file, '-n', 'team-a']);
    assert.equal(code, 0, stderr);
    assert.ok(yamlDocs(stdout).every((o) => o.metadata.namespace === 'team-a'));
  });

  test('an invalid LlmDeployment is reported with its field paths (exit 1)', () => {
    const broken = readFileSync(join(root, LLM), 'utf8').replace('gpus: 1', 'gpus: many');
    const { code, stderr } = bulwark(['-f', tempFile('broken.yaml', broken), '-p', POLICY]);
    assert.equal(code, 1);
    assert.match(stderr, /LlmDeployment\/support-bot is invalid:\n {2}spec\.model\.resources\.gpus: /);
  });

  test('bad flags are usage errors (exit 2)', () => {
    assert.equal(bulwark([]).code, 2);
    const { code, stderr } = bulwark(['-f', LLM, '-o', 'xml']);
    assert.equal(code, 2);
    assert.match(stderr, /-o must be yaml or json/);
  });
});
