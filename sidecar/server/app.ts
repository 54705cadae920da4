import type { RequestListener } from 'node:http';
import express, { Router } from 'express';
import type { Logger } from '../../shared/logging.ts';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';
import { createAuditSink, writeAudit } from '../audit/index.ts';
import { statusClass } from '../metrics/index.ts';
import { ReplyMemory } from './conversation/reply-memory.ts';
import { ErrorCodes, GuardHttpError, sendError } from './errors.ts';
import {
  type Decision,
  type GuardRequest,
  type GuardResponse,
  locals,
  type Next,
  requestPath,
} from './locals.ts';
import { type ApiKeyStore, apiKeyAuth } from './middleware/api-key/index.ts';
import { jsonBody } from './middleware/json-body/index.ts';
import { rateLimit } from './middleware/rate-limit/index.ts';
import { requestId } from './middleware/request-id/index.ts';
import type { InputRoute } from './openai/input.ts';
import { createPassthroughHandler, createProxyHandler, type ProxyContext } from './routes/proxy.ts';
import { createScanHandler } from './routes/scan.ts';

export interface GuardAppOptions extends ProxyContext {
  /** Current API keys; undefined (or a function returning undefined) turns key checks off. */
  keys: () => ApiKeyStore | undefined;
  maxRequestBytes: number;
  maxJsonDepth: number;
  rateLimit?: { requestsPerMinute: number; burst?: number };
  /** The audit logger (one line per request); the process logger may be the same. */
  audit: Logger;
}

const POST_ROUTES: Record<string, InputRoute> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/responses': 'responses',
  '/v1/embeddings': 'embeddings',
};

/** Express 5 forwards rejected promises to the error handler; this only names the route for metrics. */
function routeName(name: string) {
  return function routeNameMiddleware(_req: GuardRequest, res: GuardResponse, next: Next): void {
    locals(res).route = name;
    next();
  };
}

/** Counts, times and audits every request once it is over, whatever ended it. */
function observe(options: GuardAppOptions) {
  const audit = createAuditSink(options.audit);
  return function observeMiddleware(req: GuardRequest, res: GuardResponse, next: Next): void {
    options.metrics.inFlight.inc();
    res.once('close', () => {
      options.metrics.inFlight.dec();
      const l = locals(res);
      const status = res.statusCode;
      const decision: Decision =
        l.decision ?? (status >= 500 ? 'error' : status >= 400 ? 'rejected' : 'allowed');
      options.metrics.requests.inc({ route: l.route, decision, status: statusClass(status) });
      const policy = options.policy();
      writeAudit(audit, {
        requestId: l.requestId,
        keyId: l.keyId,
        method: req.method ?? 'GET',
        path: requestPath(req),
        status,
        decision,
        durationNs: process.hrtime.bigint() - l.startedAt,
        analysis: l.analysis,
        ...(l.policyHash ? { policyName: policy.name, policyHash: l.policyHash } : {}),
        ...(l.promptSha256 ? { promptSha256: l.promptSha256 } : {}),
        ...(l.promptText !== undefined ? { promptText: l.promptText } : {}),
        ...(l.completionText !== undefined ? { completionText: l.completionText } : {}),
        ...(l.errorCode ? { errorCode: l.errorCode } : {}),
        ...(l.upstreamStatus !== undefined ? { upstreamStatus: l.upstreamStatus } : {}),
        role: options.role,
      });
    });
    next();
  };
}

/** Every error a route throws (or passes to next) ends here as an OpenAI-shaped answer. */
function errorHandler(options: GuardAppOptions) {
  return function guardErrorHandler(err: unknown, _req: GuardRequest, res: GuardResponse, _next: Next): void {
    const l = locals(res);
    const analysis = (err as { analysis?: AnalysisRecord }).analysis;
    if (analysis) l.analysis.push(analysis);
    if (err instanceof GuardHttpError) {
      l.errorCode = err.code;
      sendError(res, err);
      return;
    }
    // Never log the error object whole: parse errors of some libraries quote the input.
    options.logger.error('unhandled error in request', {
      'http.request.id': l.requestId,
      'error.type': (err as Error)?.name ?? typeof err,
    });
    l.errorCode = ErrorCodes.internal;
    sendError(res, new GuardHttpError(500, ErrorCodes.internal, 'Internal error in the guard.'));
  };
}

/**
 * The guard's public listener: the OpenAI-compatible API, scanned.
 *
 * Two express routers share the work. The four proxied POST routes, nearly all of the traffic, live on an
 * express Router called directly from the listener; everything else (GET /v1/models, the scan API, 404s)
 * falls through to an express application. The split exists for speed: an application swaps the
 * prototypes of Node's request and response for express's on every request (`app.handle`), which
 * measured 55 µs of CPU per request on the benchmark machine, more than the rule scanners cost, while
 * the Router's own matching costs a few µs. So middleware and handlers use only Node's request and
 * response API (locals.ts), and run the same on either side.
 */
export function createGuardApp(options: GuardAppOptions): RequestListener {
  const id = requestId();
  const observed = observe(options);
  const auth = apiKeyAuth({ keys: options.keys });
  const limit = options.rateLimit ? [rateLimit(options.rateLimit)] : [];
  const body = jsonBody({ maxBytes: options.maxRequestBytes, maxDepth: options.maxJsonDepth });
  const onError = errorHandler(options);

  // The guard in front remembers the replies it returns; the output check never sees a conversation.
  const proxy: ProxyContext =
    options.role === 'input' && !options.replies ? { ...options, replies: new ReplyMemory() } : options;
  const hot = Router();
  for (const [path, route] of Object.entries(POST_ROUTES)) {
    hot.post(path, id, observed, routeName(path), auth, ...limit, body, createProxyHandler(proxy, route));
  }
  hot.use(onError);
  // A Router is a plain (req, res, next) function; its types assume express's prototypes are in place,
  // which on this path they deliberately are not (see above).
  const dispatchHot = hot as unknown as (req: GuardRequest, res: GuardResponse, next: Next) => void;

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(id);
  app.use(observed);
  app.get('/v1/models', routeName('/v1/models'), auth, ...limit, createPassthroughHandler(options));
  app.post('/v1/guard/scan', routeName('/v1/guard/scan'), auth, ...limit, body, createScanHandler(options));
  app.use((req: GuardRequest, _res: GuardResponse, next: Next) => {
    next(new GuardHttpError(404, ErrorCodes.notFound, `No route ${req.method} ${requestPath(req)}.`));
  });
  app.use(onError);

  return function guardListener(req, res) {
    if (req.method !== 'POST') {
      app(req, res);
      return;
    }
    // Unmatched POSTs (and a route's `next('router')`) continue in the application.
    dispatchHot(req, res, (err?: unknown) => {
      if (err) onError(err, req, res, noop);
      else app(req, res);
    });
  };
}

const noop = () => {};
