import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GuardrailPolicySpec } from './guardrailpolicy.ts';

function problems(spec: unknown): string[] {
  const result = GuardrailPolicySpec.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('GuardrailPolicySpec', () => {
  test('entries default to block at 0.5 and the policy fails closed', () => {
    const spec = GuardrailPolicySpec.parse({ input: [{ type: 'promptInjection' }] });
    assert.equal(spec.failMode, 'closed');
    assert.deepEqual(spec.input[0], { type: 'promptInjection', action: 'block', threshold: 0.5 });
    assert.deepEqual(spec.output, []);
    assert.equal(spec.audit.logContent, false);
    assert.deepEqual(spec.conversation, { assistantTurns: 'judgeUnlessReturned', rememberedReplies: 10_000 });
  });

  test('validation thresholds get defaults', () => {
    const spec = GuardrailPolicySpec.parse({ validation: { datasetRef: { name: 'ds' } } });
    assert.deepEqual(spec.validation, {
      datasetRef: { name: 'ds', key: 'dataset.jsonl' },
      minDetectionRate: 0.9,
      maxFalsePositiveRate: 0.05,
    });
  });

  const invalid: [string, unknown, string][] = [
    [
      'a trusted instruction that is not a SHA-256 digest',
      { conversation: { trustedInstructions: ['You are a helpful assistant.'] } },
      'conversation.trustedInstructions.0: must be a SHA-256 digest: 64 lowercase hex digits (bulwark digest < FILE)',
    ],
    [
      'a trusted prefix without its length',
      { conversation: { trustedInstructionPrefixes: [{ digest: 'a'.repeat(64) }] } },
      'conversation.trustedInstructionPrefixes.0.bytes: Invalid input: expected number',
    ],
    [
      'a trusted prefix of no bytes',
      { conversation: { trustedInstructionPrefixes: [{ digest: 'a'.repeat(64), bytes: 0 }] } },
      'conversation.trustedInstructionPrefixes.0.bytes: Too small',
    ],
    [
      'an unknown way to treat assistant turns',
      { conversation: { assistantTurns: 'ignore' } },
      'conversation.assistantTurns: Invalid option: expected one of "judge"|"judgeUnlessReturned"|"skip"',
    ],
    [
      'an output-only scanner on input',
      { input: [{ type: 'canary' }] },
      'input.0.type: Invalid option: expected one of',
    ],
    [
      'anonymize outside pii',
      { input: [{ type: 'secrets', action: 'anonymize' }] },
      'input.0.action: action anonymize is only valid for the pii scanner',
    ],
    [
      'regex without patterns',
      { output: [{ type: 'regex' }] },
      'output.0.params: the regex scanner needs params.patterns',
    ],
    [
      'a regex that does not compile',
      { input: [{ type: 'regex', params: { patterns: ['(unclosed'] } }] },
      'input.0.params.patterns.0: invalid regular expression',
    ],
    [
      'a parameter the scanner does not take',
      { input: [{ type: 'pii', params: { patterns: ['x'] } }] },
      'input.0.params.patterns: the pii scanner has no parameter patterns (it takes: entities)',
    ],
    ['threshold above 1', { input: [{ type: 'jailbreak', threshold: 1.5 }] }, 'input.0.threshold: Too big'],
    [
      'a cascade band that holds nothing',
      {
        input: [
          { type: 'promptInjection', params: { classifier: { cascade: { band: { low: 0.7, high: 0.3 } } } } },
        ],
      },
      'input.0.params.classifier.cascade.band: band.low must be below band.high',
    ],
    [
      'a cascade without its band',
      { input: [{ type: 'promptInjection', params: { classifier: { cascade: {} } } }] },
      'input.0.params.classifier.cascade.band: Invalid input',
    ],
    [
      'a cascade focus of no windows',
      {
        input: [
          {
            type: 'promptInjection',
            params: { classifier: { cascade: { band: { low: 0.2, high: 0.6 }, focusWindows: 0 } } },
          },
        ],
      },
      'input.0.params.classifier.cascade.focusWindows: Too small',
    ],
    [
      'topics without lists',
      { input: [{ type: 'topics', params: {} }] },
      'input.0.params: the topics scanner needs',
    ],
    [
      'unknown pii entity',
      { input: [{ type: 'pii', params: { entities: ['DNA'] } }] },
      'input.0.params.entities.0',
    ],
    [
      'redact on a scanner without spans',
      { input: [{ type: 'promptInjection', action: 'redact' }] },
      'input.0.action: action redact needs a scanner that finds spans',
    ],
  ];
  for (const [name, spec, expected] of invalid) {
    test(`rejects ${name}`, () => {
      const found = problems(spec);
      assert.ok(
        found.some((p) => p.startsWith(expected)),
        `expected a problem starting «${expected}» in ${JSON.stringify(found)}`,
      );
    });
  }
});
