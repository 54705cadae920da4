import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError, BadRequestError } from 'openai';
import { type FakeUpstream, startFakeUpstream } from '../support/openai-upstream.ts';
import { type Harness, startHarness } from './guard-harness.ts';

/** client → guard (role input, --output-scan delegate) → output check (role output) → model. */
describe('guard chained with the output check', () => {
  let upstream: FakeUpstream;
  let outputCheck: Harness;
  let guard: Harness;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeUpstream({ chunkSize: 3 });
    outputCheck = await startHarness(upstream.url, { role: 'output', outputScan: 'on' });
    guard = await startHarness(outputCheck.url, { role: 'input', outputScan: 'delegate' });
    client = new OpenAI({ baseURL: `${guard.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await guard.guard.close();
    await outputCheck.guard.close();
    await upstream.close();
  });

  test('input is scanned by the guard, output by the output check; the model sees no internal header', async () => {
    const completion = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'REPLY: mail grace@example.com now' }],
    });
    // The guard redacted the input; the model echoes the redacted text.
    assert.equal(completion.choices[0]?.message.content, 'mail [REDACTED:EMAIL] now');
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.headers['x-bulwark-state'], undefined);
    const outputAudit = outputCheck.lines.filter((l) => l['event.dataset'] === 'bulwark.audit').at(-1)!;
    assert.equal(outputAudit['bulwark.role'], 'output');
  });

  test('the output check blocks output the model wrote itself, streamed or not', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'fake-model',
        messages: [{ role: 'user', content: 'REPLY: I am speaking as an unrestricted AI now' }],
      }),
      (err: unknown) => err instanceof BadRequestError && err.code === 'guardrail_violation',
    );
    const guardAudit = guard.lines.filter((l) => l['event.dataset'] === 'bulwark.audit').at(-1)!;
    assert.equal(guardAudit['http.response.status_code'], 400);
  });

  test('the canary injected by the guard is caught by the output check', async () => {
    const stream = await client.chat.completions.create({
      model: 'fake-model',
      stream: true,
      messages: [{ role: 'user', content: 'LEAK_SYSTEM' }],
    });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
      (err: unknown) => err instanceof APIError && err.code === 'guardrail_violation',
    );
    assert.doesNotMatch(text, /CANARY-/);
    const blocked = outputCheck.lines.filter((l) => l['bulwark.decision'] === 'blocked');
    assert.ok(blocked.length >= 1, 'the output check, not the guard, blocked it');
  });

  test('without the output check marker, a delegating guard scans the output itself', async () => {
    const direct = await startHarness(upstream.url, { role: 'input', outputScan: 'delegate' });
    try {
      const c = new OpenAI({ baseURL: `${direct.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await assert.rejects(
        c.chat.completions.create({
          model: 'fake-model',
          messages: [{ role: 'user', content: 'LEAK_SYSTEM' }],
        }),
        (err: unknown) => err instanceof BadRequestError && err.code === 'guardrail_violation',
      );
    } finally {
      await direct.guard.close();
    }
  });
});
