import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request hot path, exposed through prom-client's registry as
 * custom metrics (an object with name, help, type and get(): the contract Registry#registerMetric takes).
 *
 * prom-client's own metrics find their series from a label object on every call: label validation, a
 * key string built from the sorted label names, and for a counter a fresh array of every series as the
 * return value; a guarded request made a dozen such calls (≈0.3 µs and 0.3 KB of garbage each). Here a
 * caller takes a series once (`series(...)`, kept in nested maps by label value) and a hot-path update is
 * one or three additions. The exposition text is the one prom-client would print for the same values:
 * the same series order (first use), label order and `_bucket`/`_sum`/`_count` lines.
 */

type Labels = Record<string, string>;

/** One value of a counter for one combination of label values. */
export class CounterSeries {
  value = 0;

  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** Bucket counts (not cumulative), sum and count of one histogram series. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

function child(map: Map<string, unknown>, key: string): Map<string, unknown> {
  let next = map.get(key) as Map<string, unknown> | undefined;
  if (!next) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}

/** The subset of prom-client's metric configuration these take, spelled the same. */
export interface FamilyConfiguration {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: readonly Registry[];
}

/** Series by label values, in nested maps so a lookup builds no key string. */
abstract class Family<S extends { labels: Labels }> {
  readonly aggregator = 'sum';
  private root = new Map<string, unknown>();
  /** Every series in order of first use (prom-client prints them in that order too). */
  protected all: S[] = [];

  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];

  constructor(config: FamilyConfiguration) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    if (this.labelNames.length < 1 || this.labelNames.length > 3)
      throw new Error(`${this.name}: 1 to 3 labels`);
    // A custom metric: Registry only calls name, help, type, aggregator, get/getForPromString and reset.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(labels: Labels): S;

  /**
   * The series for these label values, given in labelNames order (up to three labels; fixed parameters
   * rather than rest ones, which would allocate an array per call); created on first use and kept.
   */
  series(a: string, b?: string, c?: string): S {
    const depth = this.labelNames.length;
    let map = this.root;
    if (depth > 1) map = child(map, a);
    if (depth > 2) map = child(map, b!);
    const key = depth === 1 ? a : depth === 2 ? b! : c!;
    let series = map.get(key) as S | undefined;
    if (!series) {
      const values = [a, b, c];
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i]!;
      });
      series = this.create(labels);
      map.set(key, series);
      this.all.push(series);
    }
    return series;
  }

  /** The series for a prom-client style label object. */
  protected seriesOf(labels: Partial<Record<string, string>>): S {
    const [a, b, c] = this.labelNames.map((name) => labels[name] ?? '');
    return this.series(a!, b, c);
  }

  reset(): void {
    this.root = new Map();
    this.all = [];
  }
}

export class FastCounter extends Family<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  /** prom-client's Counter#inc(labels, value), for callers off the hot path. */
  inc(labels: Partial<Record<string, string>>, by = 1): void {
    this.seriesOf(labels).inc(by);
  }

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.all.map((s) => ({ labels: { ...s.labels }, value: s.value })),
    };
  }
}

export class FastHistogram extends Family<HistogramSeries> {
  readonly type = 'histogram';

  readonly buckets: readonly number[];

  constructor(config: FamilyConfiguration & { buckets: readonly number[] }) {
    super(config);
    this.buckets = config.buckets;
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.buckets);
  }

  /** prom-client's Histogram#observe(labels, value), for callers off the hot path. */
  observe(labels: Partial<Record<string, string>>, value: number): void {
    this.seriesOf(labels).observe(value);
  }

  /** What the registry prints: per series, cumulative buckets with `le` first, then +Inf, sum, count. */
  async getForPromString() {
    const bucket = `${this.name}_bucket`;
    const values = [];
    for (const s of this.all) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({
          labels: { le: this.buckets[i]! as number | string },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      }
      // Field for field what prom-client's histogram returns (exemplar null on buckets, undefined else).
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: s.labels,
          value: s.count,
          metricName: bucket,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.sum,
          metricName: `${this.name}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The JSON form (Registry#getMetricsAsJSON): series labels merged into each value's labels. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}
