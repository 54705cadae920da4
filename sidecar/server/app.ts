import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../shared/logging.ts';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';
import { createAuditSink, writeAudit } from '../audit/index.ts';
import { statusClass } from '../metrics/index.ts';
import { ErrorCodes, GuardHttpError, sendError } from './errors.ts';
import { type Decision, locals } from './locals.ts';
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
  return function routeNameMiddleware(_req: Request, res: Response, next: NextFunction): void {
    locals(res).route = name;
    next();
  };
}

/** Counts, times and audits every request once it is over, whatever ended it. */
function observe(options: GuardAppOptions) {
  const audit = createAuditSink(options.audit);
  return function observeMiddleware(req: Request, res: Response, next: NextFunction): void {
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
        method: req.method,
        path: req.path,
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

/** The guard's public listener: the OpenAI-compatible API, scanned. */
export function createGuardApp(options: GuardAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(observe(options));
  const auth = apiKeyAuth({ keys: options.keys });
  const limit = options.rateLimit ? [rateLimit(options.rateLimit)] : [];
  const body = jsonBody({ maxBytes: options.maxRequestBytes, maxDepth: options.maxJsonDepth });

  for (const [path, route] of Object.entries(POST_ROUTES)) {
    app.post(path, routeName(path), auth, ...limit, body, createProxyHandler(options, route));
  }
  app.get('/v1/models', routeName('/v1/models'), auth, ...limit, createPassthroughHandler(options));
  app.post('/v1/guard/scan', routeName('/v1/guard/scan'), auth, ...limit, body, createScanHandler(options));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new GuardHttpError(404, ErrorCodes.notFound, `No route ${req.method} ${req.path}.`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
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
  });
  return app;
}
