import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError, AuthenticationError, RateLimitError } from 'openai';
import { type FakeUpstream, startFakeUpstream } from '../support/openai-upstream.ts';
import { scratchDir } from '../support/scratch.ts';
import { type Harness, startHarness, TEST_POLICY } from './guard-harness.ts';

async function post(url: string, body: string | Buffer, contentType = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as { error: Record<string, unknown> },
  };
}

describe('guard limits and malformed input', () => {
  let upstream: FakeUpstream;
  let h: Harness;
  let chat: string;

  before(async () => {
    upstream = await startFakeUpstream();
    h = await startHarness(upstream.url, { maxRequestBytes: 4096, maxJsonDepth: 16, upstreamTimeoutMs: 300 });
    chat = `${h.url}/v1/chat/completions`;
  });
  after(async () => {
    await h.guard.close();
    await upstream.close();
  });

  const ok = async () => {
    const r = await post(
      chat,
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'still alive?' }] }),
    );
    assert.equal(r.status, 200, 'the guard keeps serving after a bad request');
  };

  test('malformed JSON is a 400 invalid_json in OpenAI shape', async () => {
    const r = await post(chat, '{"model": "m", "messages": [');
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(r.json.error.code, 'invalid_json');
    await ok();
  });

  test('an oversized body is a 413 request_too_large', async () => {
    const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a'.repeat(10_000) }] });
    const r = await post(chat, big);
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'request_too_large');
    // Without Content-Length (chunked), the limit applies while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        chat,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    assert.equal(status, 413);
    await ok();
  });

  test('a wrong content type is a 415', async () => {
    const r = await post(chat, 'messages=hi', 'application/x-www-form-urlencoded');
    assert.equal(r.status, 415);
    assert.equal(r.json.error.code, 'unsupported_media_type');
    await ok();
  });

  test('invalid UTF-8 is a 400 invalid_utf8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"model":"m","messages":[{"role":"user","content":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}]}'),
    ]);
    const r = await post(chat, bytes);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'invalid_utf8');
    await ok();
  });

  test('deeply nested JSON is refused before parsing', async () => {
    const deep = `{"model":"m","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await post(chat, deep.slice(0, 4000));
    assert.equal(r.status, 400);
    assert.ok(['json_too_deep', 'invalid_json'].includes(r.json.error.code as string));
    const r2 = await post(
      chat,
      `{"model":"m","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(20)}${']'.repeat(20)}}`,
    );
    assert.equal(r2.json.error.code, 'json_too_deep');
    await ok();
  });

  test('wrong shapes and unscannable input are clear 400s', async () => {
    assert.equal((await post(chat, '[]')).json.error.code, 'invalid_request');
    assert.equal((await post(chat, '{"model":"m","messages":"hi"}')).json.error.param, 'messages');
    const tokens = await post(`${h.url}/v1/completions`, '{"model":"m","prompt":[1,2,3]}');
    assert.equal(tokens.json.error.code, 'unsupported_input');
    const part = await post(
      chat,
      '{"model":"m","messages":[{"role":"user","content":[{"type":"mystery","text":"x"}]}]}',
    );
    assert.equal(part.json.error.code, 'unsupported_input');
    await ok();
  });

  test('unknown routes are OpenAI-shaped 404s', async () => {
    const r = await post(`${h.url}/v1/assistants`, '{}');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
  });

  test('a slow model is a 504 upstream_timeout; a down model is a 502', async () => {
    upstream.behaviour.delayMs = 1_000;
    const slow = await post(
      chat,
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    );
    assert.equal(slow.status, 504);
    assert.equal(slow.json.error.code, 'upstream_timeout');
    upstream.behaviour.delayMs = 0;
    const down = await startHarness('http://127.0.0.1:1');
    try {
      const client = new OpenAI({ baseURL: `${down.url}/v1`, apiKey: 'x', maxRetries: 0 });
      await assert.rejects(
        client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        (err: unknown) =>
          err instanceof APIError && err.status === 502 && err.code === 'upstream_unavailable',
      );
      assert.equal((await fetch(`http://127.0.0.1:${down.guard.adminPort}/readyz`)).status, 503);
    } finally {
      await down.guard.close();
    }
  });

  test('an invalid policy update is rejected and the old policy kept; a valid one is swapped in', async () => {
    const hash = h.guard.policy().hash;
    writeFileSync(
      h.policyPath,
      'apiVersion: bulwark.dev/v1alpha1\nkind: GuardrailPolicy\nspec: {input: [{type: nope}]}\n',
    );
    await h.guard.reload();
    assert.equal(h.guard.policy().hash, hash);
    assert.ok(h.lines.some((l) => l.message === 'policy update rejected; keeping the current policy'));
    writeFileSync(h.policyPath, TEST_POLICY.replace('project nightingale', 'project osprey'));
    await h.guard.reload();
    assert.notEqual(h.guard.policy().hash, hash);
    const r = await post(
      chat,
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'about project osprey' }] }),
    );
    assert.equal(r.status, 400);
    assert.match(r.json.error.message as string, /bannedSubstrings/);
  });

  test('a ConfigMap-style ..data symlink swap is picked up by the watch', async () => {
    const { mkdirSync, symlinkSync, renameSync } = await import('node:fs');
    const dir = join(h.dir, 'cm');
    mkdirSync(join(dir, '..v1'), { recursive: true });
    writeFileSync(join(dir, '..v1', 'policy.yaml'), TEST_POLICY);
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/policy.yaml', join(dir, 'policy.yaml'));
    const cm = await startHarness(upstream.url, { policyPath: join(dir, 'policy.yaml') });
    try {
      const first = cm.guard.policy().hash;
      mkdirSync(join(dir, '..v2'));
      writeFileSync(
        join(dir, '..v2', 'policy.yaml'),
        TEST_POLICY.replace('as an unrestricted AI', 'as a free AI'),
      );
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      for (let i = 0; i < 100 && cm.guard.policy().hash === first; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(cm.guard.policy().hash, first);
    } finally {
      await cm.guard.close();
    }
  });
});

describe('guard API keys and rate limit', () => {
  let upstream: FakeUpstream;
  let h: Harness;

  before(async () => {
    upstream = await startFakeUpstream();
    const keysPath = join(scratchDir('keys'), 'api-keys');
    writeFileSync(keysPath, '# clients\nfrontend:sk-frontend-1234567890\nbatch:sk-batch-0987654321\n');
    h = await startHarness(upstream.url, {
      apiKeysPath: keysPath,
      rateLimit: { requestsPerMinute: 60, burst: 2 },
    });
  });
  after(async () => {
    await h.guard.close();
    await upstream.close();
  });

  test('a missing or wrong key is a 401; the key is never forwarded to the model', async () => {
    const wrong = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-wrong-key-000', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (err: unknown) => err instanceof AuthenticationError);
    const res = await fetch(`${h.url}/v1/models`);
    assert.equal(res.status, 401);
    const right = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-batch-0987654321', maxRetries: 0 });
    await right.models.list();
    assert.equal(upstream.requests.at(-1)?.headers.authorization, undefined);
    const audit = h.lines.filter((l) => l['event.dataset'] === 'bulwark.audit');
    assert.equal(audit.at(-1)?.['user.id'], 'batch');
    assert.doesNotMatch(JSON.stringify(h.lines), /sk-batch-0987654321|sk-wrong-key/);
  });

  test('the per-key token bucket answers 429 with Retry-After, other keys unaffected', async () => {
    const frontend = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-frontend-1234567890', maxRetries: 0 });
    await frontend.models.list();
    await frontend.models.list();
    await assert.rejects(frontend.models.list(), (err: unknown) => {
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.code, 'rate_limit_exceeded');
      assert.ok(Number(err.headers?.get('retry-after')) >= 1);
      return true;
    });
  });
});
