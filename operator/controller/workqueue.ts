// A rate-limited work queue of keys, after client-go's util/workqueue
// (https://pkg.go.dev/k8s.io/client-go/util/workqueue): handlers enqueue `namespace/name` keys, never
// objects, so the reconciler always reads the newest state from the cache; a dirty set dedupes keys
// waiting to be processed, and an in-flight set keeps one key from being reconciled by two workers at
// once (a key added while in flight is processed again once `done` is called).

/** Time source, injectable so tests can drive delays without sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry must not keep a stopping process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RateLimiter {
  /** How long to wait before `key` may be processed again; counts a failure for per-key limiters. */
  when(key: string): number;
  /** Clears the failure history of `key` (it succeeded). */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  retries(key: string): number;
}

/** Per-key exponential backoff: base·2^failures, capped. client-go's ItemExponentialFailureRateLimiter. */
export class ExponentialBackoffLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {
    if (baseMs <= 0 || maxMs < baseMs) throw new RangeError('need 0 < baseMs <= maxMs');
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long before it matters; min() handles that.
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A global token bucket over all keys (client-go's BucketRateLimiter): `burst` retries go through at
 * once, then `qps` per second. Each call reserves a token, so callers get increasing delays rather
 * than all waking at the same instant.
 */
export class TokenBucketLimiter implements RateLimiter {
  #tokens: number;
  #last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    readonly clock: Clock = realClock,
  ) {
    if (qps <= 0 || burst < 1) throw new RangeError('need qps > 0 and burst >= 1');
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for (client-go's MaxOfRateLimiter). */
export class MaxOfLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the call (the bucket reserves a token, the backoff counts a failure).
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  retries(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(key)));
  }
}

export interface DefaultLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/**
 * client-go's DefaultControllerRateLimiter values, except a 5 min cap instead of 1000 s: a Secret that
 * appears later should be picked up within minutes even without a watch event.
 */
export function defaultRateLimiter(opts: DefaultLimiterOptions = {}): RateLimiter {
  return new MaxOfLimiter(
    new ExponentialBackoffLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 300_000),
    new TokenBucketLimiter(opts.qps ?? 10, opts.burst ?? 100, opts.clock),
  );
}

/** Observability hooks; the controller wires them to Prometheus. */
export interface QueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Time from a key becoming ready to a worker taking it. */
  waited(ms: number): void;
}

export interface WorkQueueOptions {
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: Partial<QueueMetrics>;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  /** Keys that need processing: queued, or re-added while in flight. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** When each queued key became ready, for the wait-time metric. */
  readonly #readySince = new Map<string, number>();
  /** Delayed adds: key → [ready time, timer]. Only the earliest pending time per key is kept. */
  readonly #delayed = new Map<string, { at: number; timer: unknown }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #drained: (() => void)[] = [];
  readonly #limiter: RateLimiter;
  readonly #clock: Clock;
  readonly #metrics: Partial<QueueMetrics>;
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#limiter = opts.rateLimiter ?? defaultRateLimiter({ clock: this.#clock });
    this.#metrics = opts.metrics ?? {};
  }

  /** Marks `key` for processing. A key already waiting is not queued twice. */
  add(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.added?.();
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // done() queues it again
    this.#push(key);
  }

  /** Adds `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.#clock.clearTimeout(pending.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, timer });
  }

  /** Re-adds `key` after the rate limiter's delay: per-key backoff and the global bucket. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.retried?.();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Ends the backoff of `key` (its last reconcile succeeded or will never succeed by retrying). */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.retries(key);
  }

  /**
   * Waits for the next key and marks it in flight; the caller must call `done(key)` afterwards.
   * Resolves to undefined once the queue shuts down.
   */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#processing.size === 0) for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Keys waiting to be processed (not counting delayed or in-flight ones). */
  len(): number {
    return this.#queue.length;
  }

  inFlight(): number {
    return this.#processing.size;
  }

  /** Keys scheduled by addAfter/addRateLimited that are not ready yet. */
  pending(): number {
    return this.#delayed.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops handing out keys: waiting `get` calls resolve to undefined and delayed adds are dropped.
   * The returned promise resolves once every in-flight key is done (client-go's ShutDownWithDrain).
   */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
    this.#queue.length = 0;
    this.#metrics.depth?.(0);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #push(key: string): void {
    this.#readySince.set(key, this.#clock.now());
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#start(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#metrics.depth?.(this.#queue.length);
  }

  #take(): string | undefined {
    if (this.#shuttingDown) return undefined;
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#metrics.depth?.(this.#queue.length);
    this.#start(key);
    return key;
  }

  #start(key: string): void {
    this.#processing.add(key);
    this.#dirty.delete(key);
    const since = this.#readySince.get(key);
    this.#readySince.delete(key);
    if (since !== undefined) this.#metrics.waited?.(this.#clock.now() - since);
  }
}
