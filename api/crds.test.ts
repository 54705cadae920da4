import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { renderCrdFiles } from './crds.ts';

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');

test('committed CRDs are exactly what the zod schemas generate (run `npm run generate` after changing api/)', () => {
  const generated = renderCrdFiles();
  const committed = readdirSync(crdDir).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(committed.sort(), [...generated.keys()].sort());
  for (const [file, text] of generated) {
    assert.equal(readFileSync(join(crdDir, file), 'utf8'), text, `crds/${file} drifted from api/`);
  }
});

/** Walks every schema node, reporting what a structural schema forbids or lacks. */
function structuralProblems(node: Record<string, unknown>, path: string, problems: string[]): void {
  const typed =
    typeof node.type === 'string' ||
    node['x-kubernetes-int-or-string'] === true ||
    node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) problems.push(`${path}: no type`);
  for (const banned of ['anyOf', 'oneOf', 'allOf', '$ref', '$schema', 'propertyNames']) {
    if (banned in node) problems.push(`${path}: has ${banned}`);
  }
  if (node.additionalProperties === false) problems.push(`${path}: additionalProperties false`);
  const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, child] of Object.entries(props)) structuralProblems(child, `${path}.${key}`, problems);
  if (node.items) structuralProblems(node.items as Record<string, unknown>, `${path}[]`, problems);
  if (typeof node.additionalProperties === 'object') {
    structuralProblems(node.additionalProperties as Record<string, unknown>, `${path}{}`, problems);
  }
}

test('generated schemas are structural and documented', () => {
  for (const [file, text] of renderCrdFiles()) {
    const crd = parse(text);
    const version = crd.spec.versions[0];
    const root = version.schema.openAPIV3Schema;
    const problems: string[] = [];
    structuralProblems(root.properties.spec, `${file}:spec`, problems);
    structuralProblems(root.properties.status, `${file}:status`, problems);
    assert.deepEqual(problems, []);
    assert.ok(root.description.length > 20, 'top-level description for kubectl explain');
    assert.deepEqual(version.subresources, { status: {} });
  }
});

test('printer columns and short names match the API contract', () => {
  const files = renderCrdFiles();
  const llm = parse(files.get('llmdeployments.bulwark.dev.yaml')!);
  assert.deepEqual(llm.spec.names.shortNames, ['llm']);
  const columns = llm.spec.versions[0].additionalPrinterColumns
    .filter((c: { priority?: number }) => !c.priority)
    .map((c: { name: string }) => c.name);
  assert.deepEqual(columns, ['Ready', 'Replicas', 'Policy', 'Age']);
  const gp = parse(files.get('guardrailpolicies.bulwark.dev.yaml')!);
  assert.deepEqual(gp.spec.names.shortNames, ['gp']);
});

test('CRD YAML reads the same under YAML 1.1 (kubectl, helm) as under YAML 1.2', () => {
  for (const [file, text] of renderCrdFiles()) {
    assert.deepEqual(parse(text, { version: '1.1' }), parse(text), `${file} changes meaning under YAML 1.1`);
  }
});
