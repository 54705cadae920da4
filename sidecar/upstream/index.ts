import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { errors, Pool } from 'undici';
import { ErrorCodes, GuardHttpError } from '../server/errors.ts';
import { ConcurrencyLimiter } from './limiter.ts';

export { type CancelSignal, ConcurrencyLimiter } from './limiter.ts';

/**
 * Cancels one upstream request when the client goes away. undici takes an EventEmitter that emits
 * `abort` wherever it takes an AbortSignal (api-request.js, util.addAbortListener); this costs one
 * object and one listener, where an AbortController measured 18 µs of guard CPU per request (the signal
 * objects and EventTarget listeners on both sides).
 */
export class UpstreamCancel extends EventEmitter {
  #aborted = false;

  get aborted(): boolean {
    return this.#aborted;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.emit('abort');
  }
}

export interface UpstreamOptions {
  /** Base URL of the model (or of the output-check container), e.g. http://127.0.0.1:8000. */
  url: string;
  /** Time to response headers, and longest gap between body chunks (504 after). */
  timeoutMs: number;
  /** Keep-alive sockets in the pool. */
  connections?: number;
  /** Requests in flight toward the model; more wait in a queue. */
  maxConcurrency: number;
  maxQueue?: number;
  queueTimeoutMs?: number;
  /** GET path that answers 2xx when the model is loaded (vLLM/TGI: /health; anything: /v1/models). */
  healthPath?: string;
  /** How long a readiness answer is reused; probes must not turn into a model call each. */
  healthCacheMs?: number;
  /** Timeout of one readiness probe. */
  healthTimeoutMs?: number;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Aborted when the client goes away: the model stops generating for nobody. */
  signal: UpstreamCancel;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  /** Frees the concurrency slot; called once the body has been consumed or abandoned. */
  release(): void;
  /** Milliseconds from sending to response headers. */
  headersMs: number;
}

/** RFC 9110 §7.6.1 hop-by-hop fields, never forwarded in either direction. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Copies headers minus hop-by-hop ones (and any the Connection header names) and minus `drop`. */
const NONE: ReadonlySet<string> = new Set();

export function forwardableHeaders(
  headers: IncomingHttpHeaders,
  drop: ReadonlySet<string> = NONE,
): Record<string, string> {
  // Most requests name nothing in Connection (or only keep-alive): skip building a set for them.
  const connection = headers.connection;
  const named =
    connection === undefined || connection === 'keep-alive' || connection === 'close'
      ? NONE
      : new Set(
          String(connection)
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        );
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    // Node and undici hand over lower-case names already; the check keeps other callers safe.
    const lower = name === name.toLowerCase() ? name : name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower)) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export interface Upstream {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Cached readiness of the upstream; never more than one probe in flight. */
  ready(): Promise<boolean>;
  readonly limiter: ConcurrencyLimiter;
  close(): Promise<void>;
}

const isCode = (err: unknown, ...codes: string[]) => codes.includes((err as { code?: string })?.code ?? '');

/** Maps transport errors to the OpenAI-shaped answers the client sees: 504 slow, 502 down. */
export function upstreamError(err: unknown): GuardHttpError {
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    isCode(err, 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT')
  ) {
    return new GuardHttpError(
      504,
      ErrorCodes.upstreamTimeout,
      'The model did not answer in time.',
      'server_error',
    );
  }
  return new GuardHttpError(502, ErrorCodes.upstreamUnavailable, 'The model is unreachable.', 'server_error');
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = new URL(options.url);
  const prefix = base.pathname.replace(/\/$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections ?? Math.max(8, options.maxConcurrency),
    pipelining: 1,
    // Below the 5 s idle timeout of Node and uvicorn (vLLM) servers: reusing a socket the model server is
    // closing at that moment fails a POST, which undici does not retry. A server that announces a
    // longer `Keep-Alive: timeout` is honoured up to keepAliveMaxTimeout.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
  });
  const limiter = new ConcurrencyLimiter(
    options.maxConcurrency,
    options.maxQueue ?? options.maxConcurrency * 4,
    options.queueTimeoutMs ?? 30_000,
  );
  const healthPath = options.healthPath ?? '/v1/models';
  const healthCacheMs = options.healthCacheMs ?? 2_000;
  const healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
  let health: { at: number; ok: boolean } | undefined;
  let probing: Promise<boolean> | undefined;

  async function request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const release = await limiter.acquire(req.signal);
    if (!release) {
      if (req.signal.aborted) throw upstreamError(new Error('client went away'));
      throw new GuardHttpError(
        503,
        ErrorCodes.overloaded,
        'The model is at its concurrency limit; retry shortly.',
        'server_error',
        null,
        { 'retry-after': '1' },
      );
    }
    const started = performance.now();
    try {
      const res = await pool.request({
        method: req.method,
        path: prefix + req.path,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: req.signal,
      });
      const headersMs = performance.now() - started;
      res.body.once('close', release);
      res.body.once('error', release);
      return {
        status: res.statusCode,
        headers: forwardableHeaders(res.headers as IncomingHttpHeaders),
        body: res.body,
        release,
        headersMs,
      };
    } catch (err) {
      release();
      throw upstreamError(err);
    }
  }

  async function probe(): Promise<boolean> {
    try {
      const res = await pool.request({
        method: 'GET',
        path: prefix + healthPath,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(healthTimeoutMs),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  }

  return {
    request,
    limiter,
    async ready() {
      if (health && performance.now() - health.at < healthCacheMs) return health.ok;
      probing ??= probe().then((ok) => {
        health = { at: performance.now(), ok };
        probing = undefined;
        return ok;
      });
      return probing;
    },
    async close() {
      await pool.close();
    },
  };
}
