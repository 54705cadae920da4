import { createHash } from 'node:crypto';
import type { GuardrailPolicySpec } from '../../../api/v1alpha1/index.ts';

/**
 * The digest by which a policy's conversation.trustedInstructions names a system prompt: SHA-256, hex, of
 * the text without surrounding whitespace (a trailing newline in the file it was read from does not count).
 */
export function instructionDigest(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex');
}

export interface InstructionPrefix {
  digest: string;
  bytes: number;
}

/**
 * The entry by which conversation.trustedInstructionPrefixes names the fixed beginning of a templated
 * system prompt: the text without surrounding whitespace, its SHA-256 and its length in UTF-8 bytes (a
 * length every tool agrees on, unlike characters).
 */
export function instructionPrefix(text: string): InstructionPrefix {
  const bytes = Buffer.from(text.trim(), 'utf8');
  return { digest: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

const bySpec = new WeakMap<GuardrailPolicySpec, ReadonlySet<string>>();

/** The policy's trusted instruction digests as a set, built once per loaded policy. */
export function trustedInstructions(spec: GuardrailPolicySpec): ReadonlySet<string> {
  let set = bySpec.get(spec);
  if (!set) {
    set = new Set(spec.conversation.trustedInstructions ?? []);
    bySpec.set(spec, set);
  }
  return set;
}

/** Trusted prefix digests by length, longest first: each length is hashed once per message. */
type PrefixTable = readonly (readonly [bytes: number, digests: ReadonlySet<string>])[];
const prefixesBySpec = new WeakMap<GuardrailPolicySpec, PrefixTable>();

function prefixTable(spec: GuardrailPolicySpec): PrefixTable {
  let table = prefixesBySpec.get(spec);
  if (!table) {
    const byLength = new Map<number, Set<string>>();
    for (const p of spec.conversation.trustedInstructionPrefixes ?? []) {
      const digests = byLength.get(p.bytes) ?? new Set<string>();
      digests.add(p.digest);
      byLength.set(p.bytes, digests);
    }
    table = [...byLength].sort(([a], [b]) => b - a);
    prefixesBySpec.set(spec, table);
  }
  return table;
}

/**
 * Where the untrusted rest of `text` starts (a string index) when it begins, after leading whitespace, with
 * one of the policy's trusted prefixes (the longest that matches); 0 when none does. A message that is a
 * trusted prefix and whitespace returns its length: nothing in it is left to judge.
 */
export function trustedPrefixEnd(spec: GuardrailPolicySpec, text: string): number {
  const table = prefixTable(spec);
  if (table.length === 0) return 0;
  const body = text.trimStart();
  const encoded = Buffer.from(body, 'utf8');
  for (const [bytes, digests] of table) {
    if (bytes > encoded.length) continue;
    const head = encoded.subarray(0, bytes);
    if (!digests.has(createHash('sha256').update(head).digest('hex'))) continue;
    const end = text.length - body.length + head.toString('utf8').length;
    return text.slice(end).trim() === '' ? text.length : end;
  }
  return 0;
}
