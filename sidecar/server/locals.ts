import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';

/** Decision recorded for metrics and the audit line; bounded set, used as a label value. */
export type Decision = 'allowed' | 'redacted' | 'flagged' | 'blocked' | 'rejected' | 'error';

/** What middleware and handlers learn about one request, kept on res.locals. */
export interface GuardLocals {
  requestId: string;
  /** Route template (bounded cardinality), e.g. /v1/chat/completions; set by each route. */
  route: string;
  /** API key id (never the key); `anonymous` when key checks are off. */
  keyId: string;
  rawBody?: Buffer;
  body?: unknown;
  decision?: Decision;
  analysis: AnalysisRecord[];
  policyHash?: string;
  /** SHA-256 of every text the model was asked to read, hex. */
  promptSha256?: string;
  /** Plaintext, only when the policy's audit.logContent is true. */
  promptText?: string;
  completionText?: string;
  upstreamStatus?: number;
  errorCode?: string;
  startedAt: bigint;
}

/**
 * The request and response as the guard's middleware and handlers use them: Node's own objects. The hot
 * routes run on an express Router without express's request/response prototypes (see app.ts), so nothing
 * here may rely on express's additions (req.get, req.path, res.status, res.json, ...).
 */
export type GuardRequest = IncomingMessage & { originalUrl?: string };
export type GuardResponse = ServerResponse & { locals?: unknown };
export type Next = (err?: unknown) => void;

export function locals(res: GuardResponse): GuardLocals {
  return res.locals as GuardLocals;
}

/** One request header as a string (repeated headers joined as Node joins them); undefined when absent. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request path without its query string (a query may carry secrets). */
export function requestPath(req: GuardRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
