/**
 * The policy's conversation settings (spec.conversation) applied to one request: which earlier turns, or
 * which trusted beginnings of them, block and flag scanners leave alone, and which replies the guard
 * remembers having returned. `client` is the API key id the request came with.
 */
import type { CompiledPolicy } from '../../../shared/pipeline/types.ts';
import type { GuardMetrics } from '../../metrics/index.ts';
import type { TextSlot } from '../openai/input.ts';
import type { ReplyMemory } from './reply-memory.ts';
import { instructionDigest, trustedInstructions, trustedPrefixEnd } from './trusted-instructions.ts';

/** What the conversation rules use of the guard: its memory of returned replies, and its metrics. */
export interface ConversationContext {
  replies?: ReplyMemory;
  metrics?: GuardMetrics;
}

/**
 * Where block and flag scanners start judging each text (policy conversation): nowhere in assistant turns
 * this guard returned to the same client, or in all of them (assistantTurns), and in the system prompts the
 * policy trusts (trustedInstructions); after the trusted beginning of a templated one
 * (trustedInstructionPrefixes). A text's offset is 0 when all of it is judged and its length when none is.
 * Undefined when every text is judged whole.
 */
export function judgedFrom(
  ctx: ConversationContext,
  policy: CompiledPolicy,
  client: string,
  slots: readonly TextSlot[],
  texts: readonly string[],
): number[] | undefined {
  const { assistantTurns, rememberedReplies } = policy.spec.conversation;
  let trusted: ReadonlySet<string> | undefined;
  let from: number[] | undefined;
  slots.forEach((slot, i) => {
    if (!slot.author) return;
    const text = texts[i]!;
    let handling: 'judged' | 'returned' | 'skipped' | 'trusted' | 'trustedPrefix' = 'judged';
    let start = text.length;
    if (slot.author === 'assistant') {
      if (assistantTurns === 'skip') handling = 'skipped';
      else if (
        assistantTurns === 'judgeUnlessReturned' &&
        ctx.replies?.recognises(client, text, rememberedReplies)
      )
        handling = 'returned';
    } else {
      trusted ??= trustedInstructions(policy.spec);
      if (trusted.size > 0 && trusted.has(instructionDigest(text))) handling = 'trusted';
      else {
        start = trustedPrefixEnd(policy.spec, text);
        if (start > 0) handling = start < text.length ? 'trustedPrefix' : 'trusted';
      }
    }
    ctx.metrics?.conversationTexts.inc({ author: slot.author, handling });
    if (handling === 'judged') return;
    from ??= slots.map(() => 0);
    from[i] = start;
  });
  return from;
}

export function remembersReplies(ctx: ConversationContext, policy: CompiledPolicy): boolean {
  const { assistantTurns, rememberedReplies } = policy.spec.conversation;
  return ctx.replies !== undefined && assistantTurns === 'judgeUnlessReturned' && rememberedReplies > 0;
}

export function rememberReplies(
  ctx: ConversationContext,
  policy: CompiledPolicy,
  client: string,
  texts: readonly string[],
): void {
  ctx.replies?.remember(client, texts, policy.spec.conversation.rememberedReplies);
}
