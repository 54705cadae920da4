import { ErrorCodes, GuardHttpError } from '../../errors.ts';
import { type GuardRequest, type GuardResponse, locals, type Next } from '../../locals.ts';

export interface RateLimitOptions {
  /** Sustained rate per API key. */
  requestsPerMinute: number;
  /** Bucket size (requests allowed at once after idling); defaults to requestsPerMinute. */
  burst?: number;
  /** Milliseconds clock; tests pass a fake one. */
  now?: () => number;
  /** Buckets kept at most; full buckets idle the longest are dropped first (they carry no state). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token bucket per API key id: 429 with Retry-After (seconds, RFC 9110 §10.2.3) when empty. */
export function rateLimit(options: RateLimitOptions) {
  const capacity = options.burst ?? options.requestsPerMinute;
  const perMs = options.requestsPerMinute / 60_000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();

  return function rateLimitMiddleware(_req: GuardRequest, res: GuardResponse, next: Next): void {
    const key = locals(res).keyId;
    const t = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= maxKeys) evictFull(buckets, t, capacity, perMs, maxKeys);
      bucket = { tokens: capacity, updatedAt: t };
      buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.updatedAt) * perMs);
      bucket.updatedAt = t;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    next(
      new GuardHttpError(
        429,
        ErrorCodes.rateLimited,
        `Rate limit of ${options.requestsPerMinute} requests per minute exceeded for this API key.`,
        'rate_limit_error',
        null,
        { 'retry-after': String(retryAfter) },
      ),
    );
  };
}

function evictFull(buckets: Map<string, Bucket>, t: number, capacity: number, perMs: number, max: number) {
  for (const [key, b] of buckets) {
    if (b.tokens + (t - b.updatedAt) * perMs >= capacity) buckets.delete(key);
  }
  // Every key is mid-burst: drop the least recently created rather than grow without bound.
  if (buckets.size >= max) {
    const oldest = buckets.keys().next().value;
    if (oldest !== undefined) buckets.delete(oldest);
  }
}
