/**
 * The policy's conversation settings (spec.conversation) applied to one request: which earlier turns block
 * and flag scanners leave alone, and which replies the guard remembers having returned. `client` is the
 * API key id the request came with.
 */
import type { CompiledPolicy } from '../../../shared/pipeline/types.ts';
import type { GuardMetrics } from '../../metrics/index.ts';
import type { TextSlot } from '../openai/input.ts';
import type { ReplyMemory } from './reply-memory.ts';
import { instructionDigest, trustedInstructions } from './trusted-instructions.ts';

/** What the conversation rules use of the guard: its memory of returned replies, and its metrics. */
export interface ConversationContext {
  replies?: ReplyMemory;
  metrics?: GuardMetrics;
}

/**
 * Which texts block and flag scanners do not judge (policy conversation): assistant turns this guard
 * returned to the same client, or all of them (assistantTurns), and the system prompts the policy trusts
 * (trustedInstructions). Undefined when every text is judged.
 */
export function unjudgedTexts(
  ctx: ConversationContext,
  policy: CompiledPolicy,
  client: string,
  slots: readonly TextSlot[],
  texts: readonly string[],
): boolean[] | undefined {
  const { assistantTurns, rememberedReplies } = policy.spec.conversation;
  let trusted: ReadonlySet<string> | undefined;
  let unjudged: boolean[] | undefined;
  slots.forEach((slot, i) => {
    if (!slot.author) return;
    let handling: 'judged' | 'returned' | 'skipped' | 'trusted' = 'judged';
    if (slot.author === 'assistant') {
      if (assistantTurns === 'skip') handling = 'skipped';
      else if (
        assistantTurns === 'judgeUnlessReturned' &&
        ctx.replies?.recognises(client, texts[i]!, rememberedReplies)
      )
        handling = 'returned';
    } else {
      trusted ??= trustedInstructions(policy.spec);
      if (trusted.size > 0 && trusted.has(instructionDigest(texts[i]!))) handling = 'trusted';
    }
    ctx.metrics?.conversationTexts.inc({ author: slot.author, handling });
    if (handling === 'judged') return;
    unjudged ??= slots.map(() => false);
    unjudged[i] = true;
  });
  return unjudged;
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
