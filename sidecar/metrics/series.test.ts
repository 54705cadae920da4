import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './series.ts';

const buckets = [0.001, 0.01, 0.1, 1];

/** The same updates through prom-client and through series.ts, in two registries. */
function both() {
  const slow = new Registry();
  const fast = new Registry();
  const config = (registry: Registry) => ({ help: 'h', registers: [registry] });
  return {
    slow,
    fast,
    counters: [
      new Counter({ name: 'c_total', labelNames: ['route', 'decision', 'status'], ...config(slow) }),
      new FastCounter({ name: 'c_total', labelNames: ['route', 'decision', 'status'], ...config(fast) }),
    ] as const,
    histograms: [
      new Histogram({ name: 'h_seconds', labelNames: ['direction', 'scanner'], buckets, ...config(slow) }),
      new FastHistogram({
        name: 'h_seconds',
        labelNames: ['direction', 'scanner'],
        buckets,
        ...config(fast),
      }),
    ] as const,
  };
}

describe('fast metric series', () => {
  it('print exactly what prom-client prints for the same updates', async () => {
    const { slow, fast, counters, histograms } = both();
    const [slowCounter, fastCounter] = counters;
    const [slowHistogram, fastHistogram] = histograms;
    const requests: [string, string, string][] = [
      ['/v1/chat/completions', 'allowed', '2xx'],
      ['/v1/chat/completions', 'blocked', '4xx'],
      ['/v1/models', 'allowed', '2xx'],
      ['/v1/chat/completions', 'allowed', '2xx'],
    ];
    for (const [route, decision, status] of requests) {
      slowCounter.inc({ route, decision, status });
      fastCounter.series(route, decision, status).inc();
    }
    slowCounter.inc({ route: 'other', decision: 'error', status: '5xx' }, 3);
    fastCounter.inc({ route: 'other', decision: 'error', status: '5xx' }, 3);
    const observations: [string, string, number][] = [
      ['input', 'all', 0.0004],
      ['input', 'pii', 0.01],
      ['output', 'all', 2],
      ['input', 'all', 0.5],
      ['input', 'pii', 0.001],
    ];
    for (const [direction, scanner, value] of observations) {
      slowHistogram.observe({ direction, scanner }, value);
      fastHistogram.series(direction, scanner).observe(value);
    }
    fastHistogram.observe({ direction: 'output', scanner: 'all' }, 0.02);
    slowHistogram.observe({ direction: 'output', scanner: 'all' }, 0.02);
    assert.equal(await fast.metrics(), await slow.metrics());
    assert.deepEqual(await fast.getMetricsAsJSON(), await slow.getMetricsAsJSON());
  });

  it('reset forgets every series', async () => {
    const { fast, counters, histograms } = both();
    counters[1].series('a', 'b', 'c').inc();
    histograms[1].series('input', 'all').observe(1);
    fast.resetMetrics();
    assert.doesNotMatch(await fast.metrics(), /\{/);
  });
});
