import type { Logger } from '../../shared/logging.ts';
import {
  type ChatMessage,
  canaryInstruction,
  compilePolicy,
  injectCanary,
} from '../../shared/pipeline/index.ts';
import type { CompiledPolicy } from '../../shared/pipeline/types.ts';
import type { LoadedPolicy } from '../../shared/policy/index.ts';
import type { RequestState } from '../scanners/types.ts';
import type { InputRoute } from './openai/input.ts';

/**
 * Puts the request's canary where the model reads its instructions: the system prompt for chat, the
 * `instructions` field for the Responses API. Completions and embeddings have no system prompt.
 */
export function injectRequestCanary(
  route: InputRoute,
  body: Record<string, unknown>,
  state: RequestState,
): boolean {
  if (!state.canary) return false;
  if (route === 'chat' && Array.isArray(body.messages))
    return injectCanary(body.messages as ChatMessage[], state);
  if (route === 'responses') {
    const line = canaryInstruction(state.canary);
    body.instructions =
      typeof body.instructions === 'string' && body.instructions !== ''
        ? `${body.instructions}\n\n${line}`
        : line;
    return true;
  }
  return false;
}

/** The real scanning pipeline for `bulwark guard`: compile with shared/pipeline, canary injection. */
export async function pipelineDeps(logger: Logger) {
  return {
    compile(policy: LoadedPolicy): CompiledPolicy {
      const compiled = compilePolicy(policy, {});
      for (const warning of compiled.warnings)
        logger.warn('policy warning', { 'bulwark.policy.warning': warning });
      return compiled;
    },
    injectCanary: injectRequestCanary,
  };
}
