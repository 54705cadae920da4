import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, guardrailViolation } from './errors.ts';

describe('guardrailViolation', () => {
  it('names the scanners, and for input where each fired, at most three places per scanner', () => {
    const err = guardrailViolation('input', ['promptInjection', 'tokenLimit', 'jailbreak'], {
      promptInjection: [
        'messages[0].content',
        'messages[2].content',
        'messages[4].content',
        'tools[0].description',
      ],
      tokenLimit: ['request'],
    });
    assert.equal(err.status, 400);
    assert.equal(err.code, ErrorCodes.guardrailViolation);
    assert.equal(
      err.message,
      'The request was blocked by the guardrail policy (scanners: promptInjection in messages[0].content, ' +
        'messages[2].content, messages[4].content and 1 more; tokenLimit in request; jailbreak).',
    );
  });

  it('without places, or for output, names the scanners only', () => {
    assert.equal(
      guardrailViolation('output', ['canary', 'secrets']).message,
      "The model's response was blocked by the guardrail policy (scanners: canary; secrets).",
    );
    assert.match(guardrailViolation('input', []).message, /\(scanners: policy\)\.$/);
  });
});
