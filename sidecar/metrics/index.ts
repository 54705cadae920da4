import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ClassifierUsage } from '../../shared/classifier/types.ts';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';

/** The loaded classifiers the policy in force uses, by name, with their counts so far. */
export type ClassifierUsageSource = () => { model: string; usage: ClassifierUsage }[];

/** Routes the guard serves; anything else is counted as `other` so a scanner of paths cannot add series. */
export const ROUTES = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/models',
  '/v1/guard/scan',
  'other',
] as const;

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The guard's Prometheus metrics. Every label takes values from a closed set (routes, decisions, status
 * classes, scanner types from the API enum, directions, actions, the names of the policy's models), so
 * cardinality stays bounded whatever clients send. https://prometheus.io/docs/practices/naming/
 */
export class GuardMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'bulwark_requests_total',
    help: 'Requests by route, decision and HTTP status class.',
    labelNames: ['route', 'decision', 'status'] as const,
    registers: [this.registry],
  });
  readonly detections = new Counter({
    name: 'bulwark_detections_total',
    help: 'Scanners that fired, by scanner type, direction and action taken.',
    labelNames: ['scanner', 'direction', 'action'] as const,
    registers: [this.registry],
  });
  readonly scannerErrors = new Counter({
    name: 'bulwark_scanner_errors_total',
    help: 'Scanner exceptions, by scanner type and direction (failMode decides what they mean).',
    labelNames: ['scanner', 'direction'] as const,
    registers: [this.registry],
  });
  readonly scanDuration = new Histogram({
    name: 'bulwark_scan_duration_seconds',
    help: 'Time spent scanning one request or response, by direction and scanner (`all` = whole pipeline).',
    labelNames: ['direction', 'scanner'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'bulwark_upstream_duration_seconds',
    help: 'Time from sending a request to the model until its response headers, by route and status class.',
    labelNames: ['route', 'status'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'bulwark_requests_in_flight',
    help: 'Requests being handled by the guard.',
    registers: [this.registry],
  });
  readonly upstreamInFlight: Gauge;
  readonly upstreamQueued: Gauge;
  readonly policyInfo = new Gauge({
    name: 'bulwark_policy_info',
    help: 'The policy in force (value 1), by name and content hash.',
    labelNames: ['policy', 'hash'] as const,
    registers: [this.registry],
  });
  readonly policyReloads = new Counter({
    name: 'bulwark_policy_reloads_total',
    help: 'Policy file reloads by result (applied, rejected, unchanged).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly conversationTexts = new Counter({
    name: 'bulwark_conversation_texts_total',
    help:
      'Texts of earlier assistant turns and of system/developer instructions in requests, by author and by ' +
      'how block and flag scanners treated them: judged, returned (a reply this guard returned to the same ' +
      'client), skipped (assistantTurns: skip), trusted (listed in trustedInstructions) or trustedPrefix (judged ' +
      'after a beginning listed in trustedInstructionPrefixes).',
    labelNames: ['author', 'handling'] as const,
    registers: [this.registry],
  });

  readonly classifierTexts: Counter<'model' | 'decided_by'>;

  constructor(upstream?: { inFlight: number; queued: number }, classifiers?: ClassifierUsageSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'bulwark_' });
    // Read from the classifiers at scrape time: the counts live beside the models (the cascade's in its
    // worker thread), and a model the policy no longer uses drops out with its series.
    this.classifierTexts = new Counter({
      name: 'bulwark_classifier_texts_total',
      help:
        'Texts the policy’s classifiers were asked to score since they were loaded, by model and by what ' +
        'decided the score: cache (seen before), first_model, or second_model (a cascade’s unsure band).',
      labelNames: ['model', 'decided_by'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { model, usage } of classifiers?.() ?? []) {
          this.inc({ model, decided_by: 'cache' }, usage.cached);
          this.inc({ model, decided_by: 'first_model' }, usage.scored - usage.secondStage);
          this.inc({ model, decided_by: 'second_model' }, usage.secondStage);
        }
      },
    });
    this.upstreamInFlight = new Gauge({
      name: 'bulwark_upstream_in_flight',
      help: 'Requests in flight toward the model (capped by --max-concurrency).',
      registers: [this.registry],
      collect() {
        this.set(upstream?.inFlight ?? 0);
      },
    });
    this.upstreamQueued = new Gauge({
      name: 'bulwark_upstream_queued',
      help: 'Requests waiting for a concurrency slot toward the model.',
      registers: [this.registry],
      collect() {
        this.set(upstream?.queued ?? 0);
      },
    });
  }

  setPolicy(name: string, hash: string): void {
    this.policyInfo.reset();
    this.policyInfo.set({ policy: name, hash }, 1);
  }

  observeAnalysis(analysis: AnalysisRecord): void {
    const { direction } = analysis;
    this.scanDuration.observe({ direction, scanner: 'all' }, analysis.latencyMs / 1000);
    for (const scanner of analysis.identifiedThreats) {
      this.detections.inc({ scanner, direction, action: analysis.actions[scanner] ?? 'block' });
    }
    for (const scanner of analysis.errors) this.scannerErrors.inc({ scanner, direction });
    const perScanner = analysis.scannerLatencyMs;
    if (perScanner) {
      for (const scanner in perScanner) {
        this.scanDuration.observe({ direction, scanner }, perScanner[scanner]! / 1000);
      }
    }
  }
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** `2xx` for 200..299 and so on; a constant string for the usual classes, so no string is built. */
export const statusClass = (status: number): string =>
  STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
