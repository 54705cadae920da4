import { promptDigest } from '../../audit/index.ts';
import { ErrorCodes, GuardHttpError, sendJson } from '../errors.ts';
import { type GuardRequest, type GuardResponse, locals } from '../locals.ts';
import type { ProxyContext } from './proxy.ts';

/**
 * POST /v1/guard/scan {text, direction}: runs the policy on one text without calling the model, for
 * applications that scan content the model never sees directly (retrieved documents, tool output).
 */
export function createScanHandler(ctx: ProxyContext) {
  return async function scanHandler(_req: GuardRequest, res: GuardResponse): Promise<void> {
    const l = locals(res);
    const body = l.body as { text?: unknown; direction?: unknown } | null;
    const text = body?.text;
    const direction = body?.direction ?? 'input';
    if (typeof body !== 'object' || body === null || typeof text !== 'string') {
      throw new GuardHttpError(
        400,
        ErrorCodes.invalidRequest,
        'text must be a string.',
        'invalid_request_error',
        'text',
      );
    }
    if (direction !== 'input' && direction !== 'output') {
      throw new GuardHttpError(
        400,
        ErrorCodes.invalidRequest,
        'direction must be input or output.',
        'invalid_request_error',
        'direction',
      );
    }
    const policy = ctx.policy();
    l.policyHash = policy.hash;
    l.promptSha256 = promptDigest([text]);
    const state = policy.newRequestState(l.requestId);
    const result =
      direction === 'input'
        ? await policy.scanInput([text], state).then((r) => ({ ...r, text: r.texts[0] ?? '' }))
        : await policy.scanOutput(text, state);
    l.analysis.push(result.analysis);
    ctx.metrics.observeAnalysis(result.analysis);
    l.decision = result.blocked ? 'blocked' : 'allowed';
    sendJson(res, 200, {
      blocked: result.blocked,
      text: result.text,
      analysis: result.analysis,
      policy: policy.hash,
    });
  };
}
