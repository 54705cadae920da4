import type { CompiledPolicy } from '../../shared/pipeline/types.ts';
import type { RequestState } from '../scanners/types.ts';

/**
 * Request state the guard hands to the output-check container (role output) when it delegates output
 * scanning: the canary it injected and the anonymize vault, so canary and deanonymize work there too.
 * Sent only over the pod's loopback to the output check, which strips it before calling the model.
 */
export const STATE_HEADER = 'x-bulwark-state';
/** Set by the output check on responses it scanned, with the hash of the policy it used. */
export const CHECKED_HEADER = 'x-bulwark-output-checked';

interface WireState {
  requestId: string;
  canary?: string;
  vault?: [string, string][];
  responseFormat?: unknown;
}

export function encodeState(state: RequestState): string {
  const wire: WireState = {
    requestId: state.requestId,
    ...(state.canary !== undefined ? { canary: state.canary } : {}),
    ...(state.vault.size > 0 ? { vault: [...state.vault] } : {}),
    ...(state.responseFormat !== undefined ? { responseFormat: state.responseFormat } : {}),
  };
  return Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
}

/** Rebuilds the state in the output check; a missing or broken header gives a fresh state. */
export function decodeState(
  header: string | undefined,
  policy: CompiledPolicy,
  requestId: string,
): RequestState {
  const state = policy.newRequestState(requestId);
  if (!header) return state;
  let wire: WireState;
  try {
    wire = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as WireState;
  } catch {
    return state;
  }
  if (typeof wire.canary === 'string') state.canary = wire.canary;
  if (Array.isArray(wire.vault)) {
    for (const pair of wire.vault) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') {
        state.vault.set(pair[0], pair[1]);
      }
    }
  }
  if (wire.responseFormat !== undefined) state.responseFormat = wire.responseFormat;
  return state;
}
