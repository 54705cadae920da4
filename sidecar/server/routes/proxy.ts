import type { Logger } from '../../../shared/logging.ts';
import type { AnalysisRecord, CompiledPolicy } from '../../../shared/pipeline/types.ts';
import { promptDigest } from '../../audit/index.ts';
import type { GuardMetrics } from '../../metrics/index.ts';
import { statusClass } from '../../metrics/index.ts';
import type { RequestState } from '../../scanners/types.ts';
import {
  forwardableHeaders,
  type Upstream,
  UpstreamCancel,
  type UpstreamResponse,
  upstreamError,
} from '../../upstream/index.ts';
import { judgedFrom, rememberReplies, remembersReplies } from '../conversation/index.ts';
import type { ReplyMemory } from '../conversation/reply-memory.ts';
import { ErrorCodes, GuardHttpError, guardrailViolation } from '../errors.ts';
import { type GuardRequest, type GuardResponse, header, locals } from '../locals.ts';
import { applyTexts, type InputRoute, inputSlots, slotText } from '../openai/input.ts';
import { outputSlots } from '../openai/output.ts';
import { namePlaces } from '../openai/places.ts';
import { RelayedReplies, replyTexts } from '../openai/replies.ts';
import { formatEvent, SseParser, StreamRewriter } from '../openai/sse.ts';
import { CHECKED_HEADER, decodeState, encodeState, STATE_HEADER } from '../state-header.ts';

/** on: this process scans outputs; delegate: the upstream is the output check; off: no output scan. */
export type OutputScanMode = 'on' | 'off' | 'delegate';

export interface ProxyContext {
  role: 'input' | 'output';
  outputScan: OutputScanMode;
  policy: () => CompiledPolicy;
  upstream: Upstream;
  metrics: GuardMetrics;
  logger: Logger;
  /** Adds the per-request canary to the prompt; returns true when the body changed. From the pipeline. */
  injectCanary?: (route: InputRoute, body: Record<string, unknown>, state: RequestState) => boolean;
  /** Sent to the model as Authorization when the model itself wants a key. */
  upstreamAuthorization?: string;
  /** Largest non-streamed model response the guard buffers to scan. */
  maxResponseBytes: number;
  /** The replies this process returned (input role), for policy conversation.assistantTurns. */
  replies?: ReplyMemory;
}

/** Client headers the model never sees: our own API key, cookies, and the guard's internal headers. */
const DROP_REQUEST_HEADERS = new Set([
  'host',
  'content-length',
  'authorization',
  'cookie',
  'accept-encoding',
  'expect',
  STATE_HEADER,
  CHECKED_HEADER,
]);
const DROP_RESPONSE_HEADERS = new Set([
  'content-length',
  'content-encoding',
  'x-request-id',
  'date',
  'server',
  'set-cookie',
  'keep-alive',
  STATE_HEADER,
]);

function decideFrom(records: readonly AnalysisRecord[]): 'allowed' | 'redacted' | 'flagged' {
  let decision: 'allowed' | 'redacted' | 'flagged' = 'allowed';
  for (const r of records) {
    for (const t of r.identifiedThreats) {
      const action = r.actions[t];
      if (action === 'redact' || action === 'anonymize') decision = 'redacted';
      else if (action === 'flag' && decision === 'allowed') decision = 'flagged';
    }
  }
  return decision;
}

/** Names of scanners that blocked (identifiedThreats with action block, or failed closed). */
function blockers(a: AnalysisRecord): string[] {
  const names = a.identifiedThreats.filter((t) => (a.actions[t] ?? 'block') === 'block');
  for (const e of a.errors) if (!names.includes(e)) names.push(e);
  return names.length > 0 ? names : a.identifiedThreats;
}

export function createProxyHandler(ctx: ProxyContext, route: InputRoute) {
  return async function proxyHandler(req: GuardRequest, res: GuardResponse): Promise<void> {
    const l = locals(res);
    const policy = ctx.policy();
    l.policyHash = policy.hash;
    const body = l.body as Record<string, unknown>;
    let forward: Buffer | string = l.rawBody!;
    let state: RequestState;
    const upstreamHeaders: Record<string, string> = {};

    if (ctx.role === 'output') {
      // The guard in front already scanned the input and hands over what output scanners need.
      state = decodeState(header(req, STATE_HEADER), policy, l.requestId);
    } else {
      state = policy.newRequestState(l.requestId);
      const slots = inputSlots(route, body);
      const texts = slots.map(slotText);
      l.promptSha256 = promptDigest(texts);
      if (policy.spec.audit.logContent) l.promptText = texts.join('\n');
      const from = judgedFrom(ctx, policy, l.keyId, slots, texts);
      const outcome = await scanInput(policy, texts, state, from);
      namePlaces(outcome, slots, texts, from);
      l.analysis.push(outcome.analysis);
      ctx.metrics.observeAnalysis(outcome.analysis);
      if (outcome.blocked) {
        l.decision = 'blocked';
        throw guardrailViolation('input', blockers(outcome.analysis), outcome.analysis.firedIn);
      }
      let changed = applyTexts(slots, outcome.texts);
      const wantsCanary = ctx.outputScan !== 'off' && policy.spec.output.some((e) => e.type === 'canary');
      if (wantsCanary && ctx.injectCanary?.(route, body, state)) changed = true;
      const responseFormat =
        route === 'responses' ? (body.text as { format?: unknown })?.format : body.response_format;
      if (responseFormat !== undefined) state.responseFormat = responseFormat;
      if (changed) forward = JSON.stringify(body);
      if (ctx.outputScan === 'delegate') upstreamHeaders[STATE_HEADER] = encodeState(state);
    }

    const response = await send(ctx, req, res, route, forward, upstreamHeaders);
    const scanHere =
      route !== 'embeddings' &&
      response.status >= 200 &&
      response.status < 300 &&
      (ctx.outputScan === 'on' ||
        // Delegated, but the output check did not vouch for this response: scan here rather than trust it.
        (ctx.outputScan === 'delegate' && response.headers[CHECKED_HEADER] !== policy.hash));
    delete response.headers[CHECKED_HEADER];
    if (ctx.role === 'output' && scanHere) response.headers[CHECKED_HEADER] = policy.hash;
    const contentType = response.headers['content-type'] ?? '';

    // Only chat and Responses requests carry assistant turns; an embeddings body is not worth reading.
    const remembers =
      (route === 'chat' || route === 'responses') && remembersReplies(ctx, policy) && response.status < 300;
    if (!scanHere) {
      const tap = remembers ? new RelayedReplies(route, contentType, ctx.maxResponseBytes) : undefined;
      if ((await relay(res, response, tap)) && tap) rememberReplies(ctx, policy, l.keyId, tap.texts());
      l.decision ??= decideFrom(l.analysis);
      return;
    }
    if (contentType.startsWith('text/event-stream')) {
      const replies = await relayStream(ctx, res, response, route, policy, state);
      if (remembers && replies) rememberReplies(ctx, policy, l.keyId, replies);
      return;
    }
    if (!contentType.startsWith('application/json')) {
      response.body.destroy();
      throw new GuardHttpError(
        502,
        ErrorCodes.upstreamInvalidResponse,
        'The model answered with a content type the guard cannot scan.',
        'server_error',
      );
    }
    const raw = await readAll(response, ctx.maxResponseBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GuardHttpError(
        502,
        ErrorCodes.upstreamInvalidResponse,
        'The model answered with invalid JSON.',
      );
    }
    const slots = outputSlots(route, parsed);
    let changed = false;
    const completions: string[] = [];
    for (const slot of slots) {
      const result = await scanOutput(policy, slotText(slot), state);
      l.analysis.push(result.analysis);
      ctx.metrics.observeAnalysis(result.analysis);
      if (result.blocked) {
        l.decision = 'blocked';
        throw guardrailViolation('output', blockers(result.analysis));
      }
      if (result.text !== slotText(slot)) {
        slot.target[slot.key] = result.text;
        changed = true;
      }
      completions.push(result.text);
    }
    if (policy.spec.audit.logContent) l.completionText = completions.join('\n');
    l.decision = decideFrom(l.analysis);
    writeHead(res, response);
    // Unchanged responses go out byte for byte.
    res.end(changed ? JSON.stringify(parsed) : raw);
    if (remembers) rememberReplies(ctx, policy, l.keyId, replyTexts(route, parsed));
  };
}

async function scanInput(
  policy: CompiledPolicy,
  texts: string[],
  state: RequestState,
  judgedFrom: readonly number[] | undefined,
) {
  try {
    return await policy.scanInput(texts, state, judgedFrom);
  } catch (err) {
    return failMode(policy, 'input', err, () => ({ texts, blocked: false }));
  }
}

async function scanOutput(policy: CompiledPolicy, text: string, state: RequestState) {
  try {
    return await policy.scanOutput(text, state);
  } catch (err) {
    return failMode(policy, 'output', err, () => ({ text, blocked: false }));
  }
}

/**
 * The pipeline applies failMode per scanner; this covers the pipeline itself throwing. Closed (the default)
 * refuses the request, open forwards it unscanned and records the error.
 */
function failMode<T extends object>(
  policy: CompiledPolicy,
  direction: 'input' | 'output',
  _err: unknown,
  open: () => T,
): T & { analysis: AnalysisRecord } {
  const analysis: AnalysisRecord = {
    direction,
    scores: {},
    malicious: policy.spec.failMode !== 'open',
    identifiedThreats: [],
    actions: {},
    errors: ['pipeline'],
    latencyMs: 0,
  };
  if (policy.spec.failMode === 'open') return { ...open(), analysis };
  throw Object.assign(
    new GuardHttpError(
      503,
      ErrorCodes.scannerError,
      'The guardrail scanners failed and the policy fails closed; the request was not forwarded.',
      'server_error',
    ),
    { analysis },
  );
}

async function send(
  ctx: ProxyContext,
  req: GuardRequest,
  res: GuardResponse,
  route: InputRoute | 'models',
  body: Buffer | string | undefined,
  extra: Record<string, string>,
): Promise<UpstreamResponse> {
  const l = locals(res);
  const cancel = new UpstreamCancel();
  // Client gone before we finished answering: stop the model generating for nobody.
  res.once('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  const headers = forwardableHeaders(req.headers, DROP_REQUEST_HEADERS);
  if (body !== undefined) headers['content-type'] = 'application/json';
  headers['accept-encoding'] = 'identity';
  headers['x-request-id'] = l.requestId;
  if (ctx.upstreamAuthorization) headers.authorization = ctx.upstreamAuthorization;
  Object.assign(headers, extra);
  try {
    const response = await ctx.upstream.request({
      method: req.method === 'GET' ? 'GET' : 'POST',
      path: upstreamPath(req, l.route, route),
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: cancel,
    });
    l.upstreamStatus = response.status;
    ctx.metrics.upstreamDuration.observe(
      { route: l.route, status: statusClass(response.status) },
      response.headersMs / 1000,
    );
    return response;
  } catch (err) {
    if (!(err instanceof GuardHttpError)) throw upstreamError(err);
    if (err.code === ErrorCodes.upstreamTimeout || err.code === ErrorCodes.upstreamUnavailable) {
      ctx.metrics.upstreamDuration.observe({ route: l.route, status: err.code }, 0);
    }
    throw err;
  }
}

/**
 * The model gets the canonical route path, never the client's spelling of it; a query string is forwarded
 * only for GET /v1/models (pagination): POST bodies carry everything else.
 */
function upstreamPath(req: GuardRequest, template: string, route: string): string {
  if (route !== 'models') return template;
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return query !== -1 ? template + url.slice(query) : template;
}

function writeHead(res: GuardResponse, response: UpstreamResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) {
    if (!DROP_RESPONSE_HEADERS.has(name)) res.setHeader(name, value);
  }
}

/** Relays the body as it comes; true when all of it reached the client. `tap` sees every chunk. */
async function relay(
  res: GuardResponse,
  response: UpstreamResponse,
  tap?: { push(chunk: Buffer): void },
): Promise<boolean> {
  writeHead(res, response);
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      tap?.push(chunk);
      if (!res.write(chunk)) await waitDrain(res);
    }
    res.end();
    return !res.destroyed;
  } catch {
    res.destroy();
    return false;
  } finally {
    response.release();
  }
}

function waitDrain(res: GuardResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** The whole response body, refused past `max` bytes; frees the concurrency slot either way. */
function readAll(response: UpstreamResponse, max: number): Promise<Buffer> {
  // Listeners rather than `for await`: the async iterator costs a promise and a microtask per chunk.
  return new Promise((resolve, reject) => {
    const body = response.body;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: GuardHttpError | undefined) => {
      if (settled) return;
      settled = true;
      response.release();
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      settle(
        new GuardHttpError(
          502,
          ErrorCodes.upstreamInvalidResponse,
          `The model's response exceeds ${max} bytes.`,
        ),
      );
      body.destroy();
    });
    body.on('end', () => settle(undefined));
    // Stays attached after settling, so a late error on the abandoned body is never unhandled.
    body.on('error', (err: unknown) => settle(upstreamError(err)));
  });
}

function streamError(code: string, message: string, route: InputRoute): string {
  const error = { message, type: 'invalid_request_error', code, param: null };
  // Chat/completions clients read `data: {"error": ...}`; Responses clients expect an `error` event.
  if (route === 'responses') {
    return formatEvent({
      event: 'error',
      data: JSON.stringify({ ...error, type: 'error', error }),
      extra: [],
    });
  }
  return formatEvent({ data: JSON.stringify({ error }), extra: [] });
}

/** Scans and relays a streamed response; returns its reply texts when the whole stream went out. */
async function relayStream(
  ctx: ProxyContext,
  res: GuardResponse,
  response: UpstreamResponse,
  route: InputRoute,
  policy: CompiledPolicy,
  state: RequestState,
): Promise<string[] | undefined> {
  const l = locals(res);
  writeHead(res, response);
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const parser = new SseParser();
  const rewriter = new StreamRewriter(route, policy, state);
  let blocked = false;
  const write = async (chunks: string[]) => {
    for (const chunk of chunks) if (!res.write(chunk)) await waitDrain(res);
  };
  const block = async () => {
    blocked = true;
    response.body.destroy();
    const names = rewriter.analyses.flatMap(blockers);
    const err = guardrailViolation('output', [...new Set(names)]);
    await write([streamError(err.code, err.message, route)]);
  };
  try {
    try {
      outer: for await (const chunk of response.body as AsyncIterable<Buffer>) {
        for (const event of parser.push(chunk)) {
          const out = await rewriter.rewrite(event);
          await write(out.events);
          if (out.blocked) {
            await block();
            break outer;
          }
        }
      }
      if (!blocked) {
        for (const event of parser.end()) {
          const out = await rewriter.rewrite(event);
          await write(out.events);
          if (out.blocked) {
            await block();
            break;
          }
        }
      }
      if (!blocked) {
        const closed = await rewriter.close();
        await write(closed.events);
        if (closed.blocked) await block();
      }
    } catch (err) {
      if (res.destroyed) return undefined;
      // Timeouts and resets mid-stream: the status is already sent, so the error goes in the stream.
      const mapped = err instanceof GuardHttpError ? err : upstreamError(err);
      l.errorCode = mapped.code;
      l.decision = 'error';
      await write([streamError(mapped.code, mapped.message, route)]);
      return undefined;
    }
  } finally {
    response.release();
    for (const a of rewriter.analyses) {
      l.analysis.push(a);
      ctx.metrics.observeAnalysis(a);
    }
    if (policy.spec.audit.logContent) l.completionText = rewriter.completion;
    if (blocked) {
      l.decision = 'blocked';
      l.errorCode = ErrorCodes.guardrailViolation;
    }
    l.decision ??= decideFrom(l.analysis);
    if (!res.destroyed) res.end();
  }
  return blocked || res.destroyed ? undefined : rewriter.replies();
}

/** GET /v1/models and other read-only passthroughs. */
export function createPassthroughHandler(ctx: ProxyContext) {
  return async function passthroughHandler(req: GuardRequest, res: GuardResponse): Promise<void> {
    const response = await send(ctx, req, res, 'models', undefined, {});
    locals(res).decision = 'allowed';
    await relay(res, response);
  };
}
