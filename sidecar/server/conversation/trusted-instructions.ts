import { createHash } from 'node:crypto';
import type { GuardrailPolicySpec } from '../../../api/v1alpha1/index.ts';

/**
 * The digest by which a policy's conversation.trustedInstructions names a system prompt: SHA-256, hex, of
 * the text without surrounding whitespace (a trailing newline in the file it was read from does not count).
 */
export function instructionDigest(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex');
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
