// The worker loop of one controller, as sample-controller's processNextWorkItem: take a key, reconcile
// it, forget its backoff on success or re-add it rate-limited on error, and always mark it done.
import type { Logger } from '../../shared/logging.ts';
import { ConflictError, type ReconcileOutcome } from './errors.ts';
import type { OperatorMetrics } from './metrics.ts';
import { type RateLimiter, WorkQueue } from './workqueue.ts';

export interface ControllerOptions {
  name: string;
  reconcile: (key: string) => Promise<ReconcileOutcome>;
  workers: number;
  log: Logger;
  metrics: OperatorMetrics;
  rateLimiter?: RateLimiter;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #o: ControllerOptions;
  #workers: Promise<void>[] = [];

  constructor(opts: ControllerOptions) {
    this.#o = opts;
    this.name = opts.name;
    this.queue = new WorkQueue({
      metrics: opts.metrics.queue(opts.name),
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    for (let i = 0; i < this.#o.workers; i++) this.#workers.push(this.#work());
  }

  /** Stops handing out keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processKey(key);
    }
  }

  /** One reconcile of `key` with its bookkeeping; exported for tests through the instance. */
  async processKey(key: string): Promise<void> {
    const { metrics, log, name } = this.#o;
    const end = metrics.reconcileDuration.startTimer({ controller: name });
    try {
      const outcome = await this.#o.reconcile(key);
      this.queue.forget(key);
      if (outcome.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, outcome.requeueAfterMs);
        metrics.reconciles.inc({ controller: name, result: 'requeue' });
      } else {
        metrics.reconciles.inc({ controller: name, result: 'success' });
      }
    } catch (err) {
      if (err instanceof ConflictError) {
        metrics.reconciles.inc({ controller: name, result: 'conflict' });
        log.debug('conflict; requeued', { controller: name, 'k8s.object': key, err: err.message });
      } else {
        metrics.reconciles.inc({ controller: name, result: 'error' });
        log.error('reconcile failed; requeued with backoff', {
          controller: name,
          'k8s.object': key,
          retries: this.queue.numRequeues(key),
          err: err instanceof Error ? err.message : String(err),
        });
      }
      this.queue.addRateLimited(key);
    } finally {
      end();
      this.queue.done(key);
    }
  }
}
