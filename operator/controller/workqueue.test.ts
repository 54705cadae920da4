import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from './testing.ts';
import {
  defaultRateLimiter,
  ExponentialBackoffLimiter,
  MaxOfLimiter,
  TokenBucketLimiter,
  WorkQueue,
} from './workqueue.ts';

/** get() that must not block: the key is expected to be ready now. */
async function take(q: WorkQueue): Promise<string | undefined> {
  const marker = Symbol('blocked');
  const result = await Promise.race([q.get(), new Promise((r) => setImmediate(() => r(marker)))]);
  assert.notEqual(result, marker, 'get() blocked but a key was expected');
  return result as string | undefined;
}

async function isBlocked(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('blocked');
  return (await Promise.race([p, new Promise((r) => setImmediate(() => r(marker)))])) === marker;
}

describe('ExponentialBackoffLimiter', () => {
  test('doubles per failure up to the cap, per key, and forgets', () => {
    const l = new ExponentialBackoffLimiter(10, 100);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => l.when('a')),
      [10, 20, 40, 80, 100, 100],
    );
    assert.equal(l.when('b'), 10, 'keys back off independently');
    assert.equal(l.retries('a'), 6);
    l.forget('a');
    assert.equal(l.retries('a'), 0);
    assert.equal(l.when('a'), 10);
  });

  test('survives thousands of failures without overflowing past the cap', () => {
    const l = new ExponentialBackoffLimiter(5, 300_000);
    let last = 0;
    for (let i = 0; i < 5000; i++) last = l.when('k');
    assert.equal(last, 300_000);
  });

  test('rejects nonsense settings', () => {
    assert.throws(() => new ExponentialBackoffLimiter(0, 10), RangeError);
    assert.throws(() => new ExponentialBackoffLimiter(10, 5), RangeError);
  });
});

describe('TokenBucketLimiter', () => {
  test('lets a burst through, then spaces calls at 1/qps, and refills with time', () => {
    const clock = new FakeClock();
    const l = new TokenBucketLimiter(10, 3, clock);
    assert.deepEqual(
      [1, 2, 3].map(() => l.when()),
      [0, 0, 0],
    );
    assert.equal(l.when(), 100, 'fourth call waits for one token at 10/s');
    assert.equal(l.when(), 200, 'reservations stack up');
    clock.advance(1000);
    // 10 tokens accrued minus the 2 owed, capped at the burst of 3.
    assert.deepEqual(
      [1, 2, 3].map(() => l.when()),
      [0, 0, 0],
    );
    assert.equal(l.when(), 100);
  });
});

describe('MaxOfLimiter', () => {
  test('takes the longest delay and consults every limiter', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketLimiter(1, 1, clock);
    const backoff = new ExponentialBackoffLimiter(10, 1000);
    const l = new MaxOfLimiter(backoff, bucket);
    assert.equal(l.when('a'), 10, 'bucket has a token; backoff says 10');
    assert.equal(l.when('b'), 1000, 'bucket is empty: 1 s for the next token');
    assert.equal(l.retries('a'), 1);
    l.forget('a');
    assert.equal(l.retries('a'), 0);
  });

  test('defaultRateLimiter starts at 5 ms', () => {
    assert.equal(defaultRateLimiter({ clock: new FakeClock() }).when('x'), 5);
  });
});

describe('WorkQueue', () => {
  test('hands out keys in FIFO order and dedupes keys that are waiting', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    assert.equal(q.len(), 2);
    assert.equal(await take(q), 'ns/a');
    assert.equal(await take(q), 'ns/b');
    assert.equal(q.len(), 0);
    assert.equal(q.inFlight(), 2);
  });

  test('never hands the same key to two workers; a key re-added in flight comes back after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('k');
    assert.equal(await take(q), 'k');
    q.add('k');
    q.add('k');
    assert.equal(q.len(), 0, 'in flight: held back, not queued');
    const second = q.get();
    assert.ok(await isBlocked(second), 'a second worker must not get k while it is in flight');
    q.done('k');
    assert.equal(await second, 'k', 're-added once, after done');
    q.done('k');
    assert.equal(q.len(), 0);
    assert.equal(q.inFlight(), 0);
  });

  test('done without a re-add does not requeue', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('k');
    await take(q);
    q.done('k');
    assert.equal(q.len(), 0);
    assert.ok(await isBlocked(q.get()));
  });

  test('a waiting worker wakes as soon as a key is added', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const got = q.get();
    assert.ok(await isBlocked(got));
    q.add('late');
    assert.equal(await got, 'late');
  });

  test('addAfter delays, keeps the earliest time per key, and add() overrides nothing', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 1000);
    q.addAfter('k', 500);
    q.addAfter('k', 2000);
    assert.equal(q.pending(), 1);
    clock.advance(499);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(q.pending(), 0);
    clock.advance(5000);
    assert.equal(q.len(), 1, 'the later timers were replaced, not stacked');
    q.addAfter('now', 0);
    assert.equal(q.len(), 2, 'zero delay adds at once');
  });

  test('addRateLimited backs off exponentially per key until forget', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({
      clock,
      rateLimiter: new ExponentialBackoffLimiter(100, 10_000),
    });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      while (q.len() === 0) clock.advance(10);
      delays.push(clock.now() - before);
      assert.equal(await take(q), 'k');
      q.done('k');
    }
    assert.deepEqual(delays, [100, 200, 400, 800]);
    assert.equal(q.numRequeues('k'), 4);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });

  test('the global bucket limits retries across keys', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: defaultRateLimiter({ qps: 10, burst: 2, clock }) });
    q.addRateLimited('a');
    q.addRateLimited('b');
    q.addRateLimited('c');
    clock.advance(5);
    assert.equal(q.len(), 2, 'a and b used the burst');
    clock.advance(94);
    assert.equal(q.len(), 2);
    clock.advance(1);
    assert.equal(q.len(), 3, 'c waited for a token (100 ms at 10/s)');
  });

  test('shutDown wakes waiting workers with undefined, drops delayed keys and refuses new ones', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('later', 1000);
    await q.shutDown();
    assert.equal(await waiting, undefined);
    assert.equal(clock.pendingTimers(), 0);
    q.add('x');
    q.addRateLimited('y');
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
    assert.equal(q.shuttingDown, true);
  });

  test('shutDown drains: it resolves only after in-flight keys are done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    await take(q);
    let drained = false;
    const shutdown = q.shutDown().then(() => {
      drained = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false);
    assert.equal(await q.get(), undefined, 'queued b is not handed out after shutdown');
    q.done('a');
    await shutdown;
    assert.equal(drained, true);
  });

  test('reports depth, adds, retries and wait time', async () => {
    const clock = new FakeClock();
    const depths: number[] = [];
    const waits: number[] = [];
    let adds = 0;
    let retries = 0;
    const q = new WorkQueue({
      clock,
      metrics: {
        depth: (n) => depths.push(n),
        added: () => adds++,
        retried: () => retries++,
        waited: (ms) => waits.push(ms),
      },
    });
    q.add('a');
    q.add('b');
    q.add('a');
    clock.advance(30);
    await take(q);
    q.addRateLimited('a');
    assert.equal(adds, 3);
    assert.equal(retries, 1);
    assert.deepEqual(depths, [1, 2, 1]);
    assert.deepEqual(waits, [30]);
  });

  test('many workers process many keys exactly once each, with concurrent re-adds', async () => {
    const q = new WorkQueue();
    const seen = new Map<string, number>();
    const active = new Set<string>();
    let overlap = false;
    const worker = async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (active.has(key)) overlap = true;
        active.add(key);
        await new Promise((r) => setImmediate(r));
        seen.set(key, (seen.get(key) ?? 0) + 1);
        active.delete(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 500; i++) q.add(`k${i % 100}`);
    while (q.len() > 0 || q.inFlight() > 0) await new Promise((r) => setImmediate(r));
    await q.shutDown();
    await Promise.all(workers);
    assert.equal(overlap, false, 'a key was processed by two workers at once');
    assert.equal(seen.size, 100);
    for (const n of seen.values()) assert.ok(n >= 1 && n <= 5);
  });
});
