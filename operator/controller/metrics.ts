// The operator's Prometheus metrics, in their own registry so that several operators can run in one
// process (tests) without colliding. Names follow controller-runtime's where one exists
// (https://book.kubebuilder.io/reference/metrics-reference), under the bulwark_operator_ prefix.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type RequestObserver, type Verb, WRITE_VERBS } from './kube.ts';
import type { QueueMetrics } from './workqueue.ts';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'conflict' | 'terminal';

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly reconciles = new Counter({
    name: 'bulwark_operator_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue, conflict, terminal).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'bulwark_operator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'bulwark_operator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueAdds = new Counter({
    name: 'bulwark_operator_workqueue_adds_total',
    help: 'Keys added to the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueRetries = new Counter({
    name: 'bulwark_operator_workqueue_retries_total',
    help: 'Keys re-added with backoff after a failed reconcile.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'bulwark_operator_workqueue_queue_duration_seconds',
    help: 'How long a key waited in the queue before a worker took it.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'bulwark_operator_api_requests_total',
    help: 'Requests to the Kubernetes API by verb, resource and HTTP code (watch counts once per connection).',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly apiDuration = new Histogram({
    name: 'bulwark_operator_api_request_duration_seconds',
    help: 'Latency of Kubernetes API requests (for watches: until the response headers).',
    labelNames: ['verb'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly applies = new Counter({
    name: 'bulwark_operator_apply_total',
    help: 'Desired objects by outcome: applied, skipped (unchanged), conflict (not ours), error.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly informerErrors = new Counter({
    name: 'bulwark_operator_informer_errors_total',
    help: 'Failed lists or watches, each followed by a restart with backoff.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'bulwark_operator_leader',
    help: '1 while this replica holds the leader Lease (always 1 without leader election).',
    registers: [this.registry],
  });

  /** Writes in process memory, so tests and the benchmark can read them without scraping. */
  readonly #writes = new Map<string, number>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'bulwark_operator_' });
  }

  readonly observeRequest: RequestObserver = ({ verb, resource, code, seconds }) => {
    this.apiRequests.inc({ verb, resource, code: String(code) });
    this.apiDuration.observe({ verb }, seconds);
    if (WRITE_VERBS.has(verb)) {
      const k = `${verb} ${resource}`;
      this.#writes.set(k, (this.#writes.get(k) ?? 0) + 1);
    }
  };

  /** Write requests so far as `verb resource` → count. */
  writes(): Map<string, number> {
    return new Map(this.#writes);
  }

  queue(controller: string): QueueMetrics {
    return {
      depth: (n) => this.queueDepth.set({ controller }, n),
      added: () => this.queueAdds.inc({ controller }),
      retried: () => this.queueRetries.inc({ controller }),
      waited: (ms) => this.queueWait.observe({ controller }, ms / 1000),
    };
  }
}

/** Sums `bulwark_operator_api_requests_total` from a scrape, for write verbs, optionally minus some resources. */
export function countWrites(exposition: string, exclude: readonly string[] = []): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const m = /^bulwark_operator_api_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1] ?? '', x[2] ?? '']),
    );
    if (!WRITE_VERBS.has(labels.verb as Verb) || exclude.includes(labels.resource ?? '')) continue;
    total += Number(m[2]);
  }
  return total;
}
