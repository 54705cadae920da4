import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Request, Response } from 'express';
import { GuardHttpError } from '../../errors.ts';
import { rateLimit } from './index.ts';

test('token bucket: burst, then 429 with Retry-After, refilled over time, per key', () => {
  let now = 0;
  const mw = rateLimit({ requestsPerMinute: 60, burst: 2, now: () => now });
  const call = (keyId: string) => {
    let out: unknown = 'none';
    mw({} as Request, { locals: { keyId } } as unknown as Response, (err?: unknown) => {
      out = err;
    });
    return out;
  };
  assert.equal(call('a'), undefined);
  assert.equal(call('a'), undefined);
  const err = call('a');
  assert.ok(err instanceof GuardHttpError);
  assert.equal(err.status, 429);
  assert.equal(err.headers['retry-after'], '1');
  assert.equal(call('b'), undefined);
  now += 1000;
  assert.equal(call('a'), undefined);
});
