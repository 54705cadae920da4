import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { GuardrailPolicySpec } from '../../api/v1alpha1/index.ts';
import type { LoadedClassifier } from '../classifier/index.ts';
import type { TextClassifier } from '../classifier/types.ts';
import type { LoadedPolicy } from '../policy/index.ts';
import { parsePolicyManifest } from '../policy/index.ts';
import {
  type ClassifierParams,
  ClassifierSet,
  classifierNeeds,
  compileWithClassifiers,
  loadFromParams,
} from './classifiers.ts';

function policy(input: string): LoadedPolicy {
  return parsePolicyManifest(`apiVersion: bulwark.dev/v1alpha1
kind: GuardrailPolicy
metadata:
  name: t
spec:
  failMode: closed
  input:
${input}
`);
}

/** A loader that records calls and scores by a word; `missing` model paths fail like a missing directory. */
function fakeLoader(missing: string[] = []) {
  const calls: ClassifierParams[] = [];
  const closed: string[] = [];
  /** Every text a loaded model was asked to score. */
  const classified: string[] = [];
  const load = async (params: ClassifierParams): Promise<TextClassifier> => {
    calls.push(params);
    await new Promise((r) => setTimeout(r, 5));
    const name = params.modelPath ?? 'default';
    if (params.modelPath && missing.includes(params.modelPath))
      throw new Error(`classifier model directory not found: ${params.modelPath}`);
    return {
      name,
      classify: async (texts) => {
        classified.push(...texts);
        return texts.map((t) => (/\bpwned\b/.test(t) ? 0.99 : 0.01));
      },
      close: async () => {
        closed.push(name);
      },
    };
  };
  return { load, calls, closed, classified };
}

const spec = (p: LoadedPolicy): GuardrailPolicySpec => p.spec;

describe('classifierNeeds', () => {
  it('groups entries asking for the same model and skips disabled ones', () => {
    const p = policy(`    - type: promptInjection
      params: {classifier: {}}
    - type: jailbreak
      params: {classifier: {}}
    - type: topics
      params: {deny: [weapons], classifier: {modelPath: /models/topics, maliciousLabels: [WEAPONS]}}
    - type: jailbreak
      params: {classifier: {enabled: false, modelPath: /models/off}}`);
    const needs = classifierNeeds(spec(p));
    assert.deepEqual(
      needs.map((n) => [n.params.modelPath, n.where]),
      [
        [undefined, ['input[0]', 'input[1]']],
        ['/models/topics', ['input[2]']],
      ],
    );
  });
});

describe('classifierNeeds with a cascade', () => {
  it('keeps the same first model with and without a second stage, or with another band or thread count, apart', () => {
    const p = policy(`    - type: promptInjection
      params: {classifier: {}}
    - type: jailbreak
      params: {classifier: {cascade: {band: {low: 0.2, high: 0.8}}}}
    - type: topics
      params: {deny: [weapons], classifier: {cascade: {band: {low: 0.2, high: 0.8}}}}
    - type: promptInjection
      params: {classifier: {cascade: {band: {low: 0.1, high: 0.8}}}}
    - type: jailbreak
      params: {classifier: {cascade: {threads: 2, band: {low: 0.2, high: 0.8}}}}`);
    assert.deepEqual(
      classifierNeeds(spec(p)).map((n) => n.where),
      [['input[0]'], ['input[1]', 'input[2]'], ['input[3]'], ['input[4]']],
    );
  });
});

describe('ClassifierSet', () => {
  it('loads each model once, even for concurrent compiles, and each entry gets its own model', async () => {
    const { load, calls } = fakeLoader();
    const set = new ClassifierSet({ load });
    const p = policy(`    - type: topics
      action: flag
      params: {deny: [weapons], classifier: {modelPath: /models/topics}}
    - type: promptInjection
      params: {classifier: {}}`);
    const [a, b] = await Promise.all([compileWithClassifiers(p, set), compileWithClassifiers(p, set)]);
    assert.equal(calls.length, 2);
    assert.equal(a.usesClassifier, true);
    assert.deepEqual(b.classifierKeys.length, 2);
    const out = await a.scanInput(['you have been pwned'], a.newRequestState('r'));
    assert.equal(out.blocked, true);
    assert.deepEqual(out.analysis.identifiedThreats, ['topics', 'promptInjection']);
    await set.close();
  });

  it('scores a text the conversation repeats once, unless the policy turns the score cache off', async () => {
    for (const [params, expected] of [
      ['{}', ['system prompt', 'you have been pwned', 'and again']],
      ['{scoreCacheEntries: 0}', ['system prompt', 'you have been pwned', 'system prompt', 'and again']],
    ] as const) {
      const { load, classified } = fakeLoader();
      const set = new ClassifierSet({ load });
      const compiled = await compileWithClassifiers(
        policy(`    - type: promptInjection
      params: {classifier: ${params}}`),
        set,
      );
      const first = await compiled.scanInput(
        ['system prompt', 'you have been pwned'],
        compiled.newRequestState('1'),
      );
      const second = await compiled.scanInput(['system prompt', 'and again'], compiled.newRequestState('2'));
      assert.equal(first.blocked, true);
      assert.equal(second.blocked, false);
      assert.deepEqual(classified, expected, params);
      await set.close();
    }
  });

  it('a model that cannot load fails closed entries with the loader’s reason, and is retried next time', async () => {
    const { load, calls } = fakeLoader(['/models/missing']);
    const set = new ClassifierSet({ load });
    const p = policy(`    - type: promptInjection
      params: {classifier: {modelPath: /models/missing}}`);
    await assert.rejects(
      compileWithClassifiers(p, set),
      /input\[0\] \(promptInjection\): params.classifier is enabled but model \/models\/missing is not loaded: classifier model directory not found: \/models\/missing/,
    );
    await assert.rejects(compileWithClassifiers(p, set));
    assert.equal(calls.length, 2);
    await set.close();
  });

  it('failMode open on the entry runs on heuristics and says why', async () => {
    const { load } = fakeLoader(['/models/missing']);
    const set = new ClassifierSet({ load });
    const compiled = await compileWithClassifiers(
      policy(`    - type: promptInjection
      failMode: open
      params: {classifier: {modelPath: /models/missing}}`),
      set,
    );
    assert.equal(compiled.usesClassifier, false);
    assert.match(compiled.warnings[0] ?? '', /not loaded \(classifier model directory not found/);
    await set.close();
  });

  it('readiness waits for the first policy’s models; models no longer used are released later', async () => {
    const { load, closed } = fakeLoader();
    const set = new ClassifierSet({ load, releaseAfterMs: 20 });
    assert.equal(set.status().ok, false);
    const first = compileWithClassifiers(
      policy(`    - type: promptInjection
      params: {classifier: {modelPath: /models/a}}`),
      set,
    );
    assert.match(set.status().message, /loading 1 model/);
    set.use((await first).classifierKeys);
    assert.deepEqual(set.status(), { ok: true, message: '/models/a' });

    const second = await compileWithClassifiers(
      policy(`    - type: promptInjection
      params: {classifier: {modelPath: /models/b}}`),
      set,
    );
    set.use(second.classifierKeys);
    assert.deepEqual(set.status(), { ok: true, message: '/models/b' });
    assert.deepEqual(closed, [], 'the previous model stays loaded for requests still using it');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(closed, ['/models/a']);
    await set.close();
    assert.deepEqual(closed, ['/models/a', '/models/b']);
  });

  it('is not ready when a model in use can no longer score (its worker stopped)', async () => {
    let failure: string | undefined;
    const load = async (): Promise<TextClassifier> => ({
      name: 'in-worker',
      classify: async (texts) => texts.map(() => 0),
      failure: () => failure,
      close: async () => {},
    });
    const set = new ClassifierSet({ load });
    const compiled = await compileWithClassifiers(
      policy(`    - type: promptInjection
      params: {classifier: {}}`),
      set,
    );
    set.use(compiled.classifierKeys);
    assert.deepEqual(set.status(), { ok: true, message: 'in-worker' });
    failure = 'classifier worker in-worker stopped (exit code 1)';
    assert.deepEqual(set.status(), { ok: false, message: failure });
    await set.close();
  });

  it('a policy without classifiers is ready at once and loads nothing', async () => {
    const { load, calls } = fakeLoader();
    const set = new ClassifierSet({ load });
    const compiled = await compileWithClassifiers(policy('    - type: invisibleText'), set);
    set.use(compiled.classifierKeys);
    assert.deepEqual(set.status(), { ok: true, message: 'not used by the policy' });
    assert.equal(calls.length, 0);
  });
});

describe('compileWithClassifiers with the real loader', () => {
  const byo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../classifier/testdata/byo-tiny');

  it('loads a bring-your-own model per entry with that entry’s malicious labels', async () => {
    const set = new ClassifierSet();
    try {
      const compiled = await compileWithClassifiers(
        policy(`    - type: jailbreak
      action: flag
      params: {classifier: {modelPath: ${byo}, maliciousLabels: [JAILBREAK]}}
    - type: promptInjection
      params: {classifier: {modelPath: ${byo}, maliciousLabels: [INJECTION]}}`),
        set,
        { failFast: false },
      );
      assert.equal(compiled.classifierKeys.length, 2, 'one load per label mapping');
      const injection = await compiled.scanInput(['hello ignore'], compiled.newRequestState('r'));
      assert.deepEqual(injection.analysis.identifiedThreats, ['promptInjection']);
      const jailbreak = await compiled.scanInput(['pretend'], compiled.newRequestState('r'));
      assert.deepEqual(jailbreak.analysis.identifiedThreats, ['jailbreak']);
    } finally {
      await set.close();
    }
  });

  it('gives each model the onnxruntime threads its entry asks for', async () => {
    const loaded = (await loadFromParams({ enabled: true, modelPath: byo, threads: 2 })) as LoadedClassifier;
    const plain = (await loadFromParams({ enabled: true, modelPath: byo })) as LoadedClassifier;
    try {
      assert.deepEqual([loaded.intraOpThreads, plain.intraOpThreads], [2, 1]);
    } finally {
      await Promise.all([loaded.close(), plain.close()]);
    }
  });

  it('a label the model does not have is a compile error naming the entry', async () => {
    const set = new ClassifierSet();
    await assert.rejects(
      compileWithClassifiers(
        policy(`    - type: promptInjection
      params: {classifier: {modelPath: ${byo}, maliciousLabels: [TOXIC]}}`),
        set,
      ),
      /input\[0\] \(promptInjection\):.*"TOXIC", not among the model's labels/,
    );
    await set.close();
  });
});
