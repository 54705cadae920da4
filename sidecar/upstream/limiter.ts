import type { EventEmitter } from 'node:events';

/**
 * What can cancel a request: an AbortSignal, or an EventEmitter that emits `abort` and says `aborted`
 * (the shape undici accepts as a request signal too; see UpstreamCancel).
 */
export type CancelSignal = AbortSignal | (EventEmitter & { readonly aborted: boolean });

/** Calls `listener` once when `signal` aborts; returns the function that unregisters it. */
export function onAbort(signal: CancelSignal, listener: () => void): () => void {
  if (signal instanceof AbortSignal) {
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }
  signal.once('abort', listener);
  return () => signal.off('abort', listener);
}

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
  acquire(signal?: CancelSignal): Promise<(() => void) | undefined> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let unlisten: (() => void) | undefined;
      const entry = {
        grant: () => {
          unlisten?.();
          clearTimeout(entry.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => drop(), this.queueTimeoutMs),
      };
      const drop = () => {
        const at = this.waiting.indexOf(entry);
        if (at !== -1) this.waiting.splice(at, 1);
        unlisten?.();
        clearTimeout(entry.timer);
        resolve(undefined);
      };
      if (signal) unlisten = onAbort(signal, drop);
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
