import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { canonicalJson, PolicyError, parsePolicyManifest } from './index.ts';

const sample = readFileSync(
  new URL('../../manifests/samples/guardrailpolicy.yaml', import.meta.url),
  'utf8',
).split('\n---\n')[0]!;

describe('policy loading', () => {
  test('parses the sample policy and hashes its defaulted spec', () => {
    const policy = parsePolicyManifest(sample);
    assert.equal(policy.name, 'support-bot');
    assert.equal(policy.namespace, 'llm');
    assert.match(policy.hash, /^[0-9a-f]{16}$/);
    assert.equal(policy.spec.input[0]?.threshold, 0.5, 'defaults applied before hashing');
  });

  test('the hash ignores key order and changes with content', () => {
    const reordered = sample
      .replace('  failMode: closed\n', '')
      .replace('    logContent: false\n', '    logContent: false\n  failMode: closed\n');
    assert.equal(parsePolicyManifest(reordered).hash, parsePolicyManifest(sample).hash);
    const changed = sample.replace('threshold: 0.8', 'threshold: 0.81');
    assert.notEqual(parsePolicyManifest(changed).hash, parsePolicyManifest(sample).hash);
  });

  test('a file with the policy and its dataset ConfigMap loads the policy; two policies are an error', () => {
    const whole = readFileSync(
      new URL('../../manifests/samples/guardrailpolicy.yaml', import.meta.url),
      'utf8',
    );
    assert.equal(parsePolicyManifest(whole).hash, parsePolicyManifest(sample).hash);
    assert.throws(
      () => parsePolicyManifest(`${sample}\n---\n${sample}`),
      /expected one GuardrailPolicy document, found 2 among 2 documents/,
    );
    assert.throws(() => parsePolicyManifest('a: [1,\n'), /policy is not valid YAML/);
  });

  test('an invalid policy throws a PolicyError listing field paths', () => {
    const broken = sample.replace('maxDepth: 2', 'maxDepth: 9');
    assert.throws(
      () => parsePolicyManifest(broken),
      (err: unknown) => err instanceof PolicyError && /spec\.input\.1\.params\.maxDepth/.test(err.message),
    );
    assert.throws(() => parsePolicyManifest('kind: [oops'), /not valid YAML/);
  });

  test('canonicalJson sorts keys recursively and drops undefined', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } }),
      '{"a":{"c":null,"d":[2,{"z":1}]},"b":1}',
    );
  });
});
