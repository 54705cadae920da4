/**
 * Caps requests in flight toward the model. Requests over the cap wait in a bounded FIFO queue for at
 * most queueTimeoutMs; a full queue or a wait that times out is refused (the caller answers 503 with
 * Retry-After), so a slow model sheds load instead of piling sockets and memory onto the guard.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(
    readonly max: number,
    readonly maxQueue: number,
    readonly queueTimeoutMs: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves to a release function, or to undefined when refused. Release is idempotent. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(entry.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => drop(), this.queueTimeoutMs),
      };
      const drop = () => {
        const at = this.waiting.indexOf(entry);
        if (at !== -1) this.waiting.splice(at, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(entry.timer);
        resolve(undefined);
      };
      const onAbort = () => drop();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next.grant();
      else this.active--;
    };
  }
}
