import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import { mergeFindings, redactFindings, shannonEntropy } from '../text/spans.ts';
import type { Finding, Scanner } from '../types.ts';
import { PLACEHOLDER, SECRET_RULES, type SecretRule } from './rules.ts';

export { SECRET_RULES, type SecretRule };

export interface SecretsOptions {
  /** Only these rule ids (default: all). Unknown ids are a configuration error. */
  rules?: readonly string[] | undefined;
}

export class UnknownSecretRuleError extends Error {}

export function selectRules(ids: readonly string[] | undefined): SecretRule[] {
  if (!ids) return [...SECRET_RULES];
  const known = new Map(SECRET_RULES.map((r) => [r.id, r]));
  return ids.map((id) => {
    const rule = known.get(id);
    if (!rule) {
      throw new UnknownSecretRuleError(
        `unknown secrets rule "${id}" (known: ${SECRET_RULES.map((r) => r.id).join(', ')})`,
      );
    }
    return rule;
  });
}

/**
 * Which of a rule set's keywords occur in a (lower-cased) text, in one regex pass instead of one
 * `includes` per keyword: keyword pre-filtering was this scanner's largest cost on ordinary prose.
 * The pass tries a match at every position, so overlapping occurrences are all found; where two
 * keywords start at the same position the alternation reports the longer one, and the shorter (a
 * prefix of it) is credited through `within`.
 */
class KeywordFilter {
  private readonly re: RegExp;
  /** Keyword → the keywords it is a substring of (itself included). */
  private readonly within = new Map<string, string[]>();

  constructor(keywords: readonly string[]) {
    const unique = [...new Set(keywords)].sort((a, b) => b.length - a.length);
    const escapeRegExp = (k: string) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.re = new RegExp(unique.map(escapeRegExp).join('|') || '(?!)', 'g');
    for (const k of unique)
      this.within.set(
        k,
        unique.filter((other) => other.includes(k)),
      );
  }

  /** The keywords found in `lower`, or undefined when there is none (most text: no rule can match). */
  found(lower: string): Set<string> | undefined {
    let seen: Set<string> | undefined;
    const re = this.re;
    re.lastIndex = 0;
    for (let m = re.exec(lower); m !== null; m = re.exec(lower)) {
      seen ??= new Set();
      seen.add(m[0]);
      re.lastIndex = m.index + 1;
    }
    return seen;
  }

  /** True when `keyword` occurs in the text `seen` was found in (itself, or within a longer keyword). */
  has(seen: Set<string>, keyword: string): boolean {
    for (const w of this.within.get(keyword) ?? [keyword]) if (seen.has(w)) return true;
    return false;
  }
}

const filters = new WeakMap<readonly SecretRule[], KeywordFilter>();

export function findSecrets(
  text: string,
  rules: readonly SecretRule[],
): { score: number; findings: Finding[] } {
  let filter = filters.get(rules);
  if (!filter) {
    filter = new KeywordFilter(rules.flatMap((r) => r.keywords));
    filters.set(rules, filter);
  }
  const findings: Finding[] = [];
  const seen = filter.found(text.toLowerCase());
  if (!seen) return { score: 0, findings };
  let score = 0;
  for (const rule of rules) {
    if (!rule.keywords.some((k) => filter.has(seen, k))) continue;
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
      if (m[0].length === 0) {
        rule.re.lastIndex++;
        continue;
      }
      const secret = rule.group === undefined ? m[0] : m[rule.group];
      if (secret === undefined) continue;
      if (rule.minEntropy !== undefined) {
        // Generated credentials mix letters and digits; hyphenated names ("db-password-staging") do not.
        if (PLACEHOLDER.test(secret) || !/\d/.test(secret) || shannonEntropy(secret) < rule.minEntropy)
          continue;
      }
      const start = rule.group === undefined ? m.index : m.index + m[0].lastIndexOf(secret);
      findings.push({ start, end: start + secret.length, kind: rule.id });
      score = Math.max(score, rule.score);
    }
  }
  return { score, findings: mergeFindings(findings) };
}

export function secrets(options: SecretsOptions = {}): Scanner {
  const rules = selectRules(options.rules);
  return {
    type: 'secrets',
    // Long enough to recognise every token format (a JWT or fine-grained PAT). A PEM block is longer,
    // but its finding runs to the end of the text until the END line arrives, so streaming holds it.
    maxFindingLength: 512,
    scan: (text) => findSecrets(text, rules),
    rewrite: (text, findings) => redactFindings(text, findings),
  };
}

export function createSecrets(entry: ScannerEntry): Scanner {
  return secrets({ rules: entry.params?.rules });
}
