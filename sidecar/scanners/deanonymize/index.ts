import { replaceFindings } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';

/**
 * Puts back what the pii scanner's anonymize action took out of this request's prompt. Only this
 * request's vault is consulted, so a response can never receive another request's values; a placeholder
 * the vault does not know (the model made one up) is left as it is.
 */
const PLACEHOLDER = /<([A-Z][A-Z_]{1,30}_\d{1,6})>/g;

export function deanonymize(): Scanner {
  return {
    type: 'deanonymize',
    maxFindingLength: 40,
    scan(text, ctx) {
      const findings: Finding[] = [];
      if (ctx.state.vault.size === 0) return { score: 0, findings };
      for (const m of text.matchAll(PLACEHOLDER)) {
        if (ctx.state.vault.has(m[0]))
          findings.push({ start: m.index, end: m.index + m[0].length, kind: 'placeholder' });
      }
      return { score: findings.length > 0 ? 1 : 0, findings };
    },
    rewrite: (text, findings, ctx) =>
      replaceFindings(text, findings, (_, placeholder) => ctx.state.vault.get(placeholder) ?? placeholder),
  };
}

export function createDeanonymize(): Scanner {
  return deanonymize();
}
