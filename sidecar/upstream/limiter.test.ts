import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamCancel } from './index.ts';
import { ConcurrencyLimiter } from './limiter.ts';

const settled = async <T>(p: Promise<T>): Promise<T | 'pending'> => {
  const pending = Symbol('pending');
  const r = await Promise.race([p, new Promise<typeof pending>((res) => setImmediate(() => res(pending)))]);
  return r === pending ? 'pending' : (r as T);
};

describe('ConcurrencyLimiter', () => {
  it('grants up to max at once, then queues', async () => {
    const l = new ConcurrencyLimiter(2, 10, 1000);
    const a = await l.acquire();
    const b = await l.acquire();
    assert.equal(typeof a, 'function');
    assert.equal(typeof b, 'function');
    const c = l.acquire();
    assert.equal(await settled(c), 'pending');
    assert.equal(l.inFlight, 2);
    assert.equal(l.queued, 1);
    a!();
    assert.equal(typeof (await c), 'function');
    assert.equal(l.inFlight, 2, 'the slot passed straight to the waiter');
    assert.equal(l.queued, 0);
  });

  it('serves waiters first in, first out', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    const first = await l.acquire();
    const order: string[] = [];
    const waiters = ['x', 'y', 'z'].map((name) =>
      l.acquire().then((release) => {
        order.push(name);
        return release;
      }),
    );
    first!();
    (await waiters[0])!();
    (await waiters[1])!();
    (await waiters[2])!();
    assert.deepEqual(order, ['x', 'y', 'z']);
    assert.equal(l.inFlight, 0);
  });

  it('release is idempotent: a double release frees one slot only', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    const a = await l.acquire();
    a!();
    a!();
    assert.equal(l.inFlight, 0);
    const b = await l.acquire();
    assert.equal(typeof b, 'function');
    assert.equal(await settled(l.acquire()), 'pending', 'the second release did not make room');
  });

  it('refuses when the queue is full', async () => {
    const l = new ConcurrencyLimiter(1, 1, 1000);
    await l.acquire();
    const queued = l.acquire();
    assert.equal(await l.acquire(), undefined);
    assert.equal(l.queued, 1);
    assert.equal(await settled(queued), 'pending');
  });

  it('a waiter that times out is refused and leaves the queue', async () => {
    const l = new ConcurrencyLimiter(1, 10, 20);
    const held = await l.acquire();
    const started = performance.now();
    assert.equal(await l.acquire(), undefined);
    assert.ok(performance.now() - started >= 15);
    assert.equal(l.queued, 0);
    held!();
    assert.equal(l.inFlight, 0, 'the slot was not handed to the timed-out waiter');
  });

  it('a waiter whose client goes away is refused and leaves the queue', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    const held = await l.acquire();
    const abort = new AbortController();
    const waiting = l.acquire(abort.signal);
    const next = l.acquire();
    abort.abort();
    assert.equal(await waiting, undefined);
    assert.equal(l.queued, 1);
    held!();
    assert.equal(typeof (await next), 'function', 'the slot went to the next live waiter');
  });

  it('an UpstreamCancel (what the proxy passes) cancels a waiter too', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    const held = await l.acquire();
    const cancel = new UpstreamCancel();
    const waiting = l.acquire(cancel);
    cancel.abort();
    assert.equal(await waiting, undefined);
    assert.equal(l.queued, 0);
    assert.equal(cancel.listenerCount('abort'), 0);
    held!();
  });

  it('an already-aborted request is not queued', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    await l.acquire();
    const abort = new AbortController();
    abort.abort();
    assert.equal(await l.acquire(abort.signal), undefined);
    assert.equal(l.queued, 0);
  });

  it('an already-aborted request still gets a free slot (the caller checks the signal)', async () => {
    const l = new ConcurrencyLimiter(1, 10, 1000);
    const abort = new AbortController();
    abort.abort();
    const release = await l.acquire(abort.signal);
    assert.equal(typeof release, 'function');
    release!();
  });
});
