import type { Finding, Scanner } from '../types.ts';

/**
 * Canary tokens (the idea of Rebuff, https://github.com/protectai/rebuff): the guard puts a random token
 * in the system prompt; if it comes back in a response, the model was talked into revealing its prompt.
 * A model asked to leak "creatively" may space the token out, change its case or slip zero-width
 * characters in, so we compare on letters and digits only.
 */
export function findCanary(text: string, canary: string): Finding[] {
  const target = canary.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  if (target.length === 0) return [];
  // Compact view of the text: letters and digits only, each remembering where it came from.
  let compact = '';
  const at: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (/[\p{L}\p{N}]/u.test(ch)) {
      for (const unit of ch.toLowerCase()) {
        compact += unit;
        at.push(i);
      }
    }
    i += ch.length;
  }
  const findings: Finding[] = [];
  for (let from = compact.indexOf(target); from !== -1; from = compact.indexOf(target, from + 1)) {
    const last = at[from + target.length - 1]!;
    findings.push({
      start: at[from]!,
      end: last + (text.codePointAt(last)! > 0xffff ? 2 : 1),
      kind: 'canary',
    });
  }
  return findings;
}

export function canary(): Scanner {
  return {
    type: 'canary',
    // The token is short, but spaced out or interleaved with invisibles it can take several times as long.
    maxFindingLength: 256,
    scan(text, ctx) {
      const token = ctx.state.canary;
      if (!token) return { score: 0, findings: [] };
      const findings = findCanary(text, token);
      return { score: findings.length > 0 ? 1 : 0, findings };
    },
  };
}

export function createCanary(): Scanner {
  return canary();
}
