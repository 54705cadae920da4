import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInChild } from '../../test/support/child.ts';

/**
 * Texts shaped like the attack strings recheck (https://makenowjust-labs.github.io/recheck/) built for the
 * scanners' regular expressions, at lengths where each took minutes before its fix (the times below are
 * for the length given in brackets, with the old expression): they scan in well under a second each now.
 * [opening, unit repeated to the length, closing, length]
 */
const CASES: [string, string, string, number][] = [
  // Trigger words joined into one long hyphenated word or separated by runs of separators (cues).
  ['', 'ignore-', 'x', 512_000], // 8.7 s (145 KB)
  ['', 'list-i-', 'x', 512_000], // 8.9 s (145 KB)
  ['', "dan'", 'x', 512_000], // 16 s (145 KB)
  ['adminoverride:', ': ', 'x', 512_000], // 6.2 s (77 KB)
  ['tell ', 'stokente', 'x', 512_000], // 2.3 s (212 KB)
  // PII and secrets, on the raw text; the closings let the e-mail and leetspeak passes run at all.
  ['', '%!', '@', 512_000], // e-mail
  ['SSN', '\t', '#SSN000000000', 16_000], // an SSN after its label: 18 s (3 KB), cubic
  ['sk-', 'sk-sp-', 'x', 512_000], // OpenAI key: 15 s (134 KB)
  ['', 'eyJyJ0e--J-', 'x', 512_000], // JWT: 12.7 s (181 KB)
  ['', 'A', ' a1b c2d e3f', 256_000], // a long word before leetspeak words (encoding)
  // One long run through the BPE token counter (tokenLimit): 71 s (64 KB of '’'), 7.7 s (64 KB of 'a').
  ['', '’', '', 256_000],
  ['', 'a', '', 512_000],
  ['system:', ' ', 'x', 256_000], // 1.6 s (16 KB)
];

describe('scanners on adversarial text', () => {
  it('scan in time linear in the text, not minutes', () => {
    const script = `
      const { GuardrailPolicySpec } = await import(${JSON.stringify(new URL('../../api/v1alpha1/index.ts', import.meta.url).href)});
      const { compilePolicy } = await import(${JSON.stringify(new URL('../../shared/pipeline/index.ts', import.meta.url).href)});
      const spec = GuardrailPolicySpec.parse({
        input: [
          { type: 'promptInjection', action: 'block' },
          { type: 'jailbreak', action: 'block' },
          { type: 'encoding', action: 'block' },
          { type: 'secrets', action: 'redact' },
          { type: 'pii', action: 'anonymize', params: { entities: ['EMAIL', 'US_SSN', 'CREDIT_CARD'] } },
          { type: 'tokenLimit', action: 'block', params: { maxTokens: 100_000 } },
        ],
      });
      const policy = compilePolicy({ name: 'adversarial', hash: 'h', spec });
      for (const [opening, unit, closing, length] of ${JSON.stringify(CASES)}) {
        const text = opening + unit.repeat(Math.ceil(length / unit.length)) + closing;
        const state = policy.newRequestState('r');
        await policy.scanInput([text], state);
      }
      console.log('scanned');
    `;
    const run = runInChild(script, 60_000);
    assert.equal(run.signal, null, 'the scans did not finish within a minute');
    assert.equal(run.stdout.trim(), 'scanned', run.stderr);
  });
});
