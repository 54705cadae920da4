import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuardrailPolicySpec } from '../../api/v1alpha1/index.ts';
import type { RequestState } from '../../sidecar/scanners/types.ts';
import { type CompiledPolicy, compilePolicy } from './index.ts';

const policy = (spec: unknown) =>
  compilePolicy({ name: 'test', hash: 'h', spec: GuardrailPolicySpec.parse(spec) });

/** Splits text into chunks of the given sizes, cycling through them. */
function chunks(text: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(text.slice(at, at + n));
    at += n;
  }
  return out;
}

async function stream(p: CompiledPolicy, parts: readonly string[], state: RequestState) {
  const s = p.outputStream(state);
  const released: string[] = [];
  let blockedAt = -1;
  for (const [i, part] of parts.entries()) {
    const r = await s.push(part);
    released.push(r.release);
    if (r.blocked && blockedAt < 0) blockedAt = i;
  }
  const end = await s.end();
  released.push(end.release);
  return { text: released.join(''), released, blocked: end.blocked, blockedAt, analysis: end.analysis };
}

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  ...Array.from(
    { length: 25 },
    (_, i) => `MIIEowIBAAKCAQEA${String(i).padStart(2, '0')}wq1cD8sX9o2p+ZQ3lT7yR4hK0vJb6nUeMf3aW5sLgHc`,
  ),
  '-----END RSA PRIVATE KEY-----',
].join('\n');

const RESPONSE = [
  'Here is what you asked for. The staging key is AKIAIOSFODNN7EXAMPLE and the ',
  'owner is jane.roe@example.org (call +44 20 7946 0958). Her card: 5555 5555 5555 4444. ',
  'A token: ghp_0123456789abcdefghijklmnopqrstuvwxyz and a JWT ',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  ` and the key file:\n${PEM}\nThat is all.`,
].join('');

describe('outputStream', () => {
  const redacting = policy({
    output: [
      { type: 'secrets', action: 'redact' },
      { type: 'pii', action: 'redact' },
    ],
  });

  it('gives the same text as scanOutput however the stream is split', async () => {
    const whole = await redacting.scanOutput(RESPONSE, redacting.newRequestState('w'));
    assert.doesNotMatch(whole.text, /AKIA|jane\.roe|7946|5555|ghp_|eyJ|MIIE/);
    for (const sizes of [[1], [2], [3], [5], [7], [13], [1, 4, 2, 9], [64], [500]]) {
      const parts = chunks(RESPONSE, sizes);
      const r = await stream(redacting, parts, redacting.newRequestState('s'));
      assert.equal(r.blocked, false);
      assert.equal(r.text, whole.text, `chunk sizes ${sizes.join(',')}`);
    }
  });

  it('never releases a piece of a secret or PII value, at any chunk boundary', async () => {
    const values = ['AKIAIOSFODNN7EXAMPLE', 'jane.roe@example.org', '5555 5555 5555 4444', 'ghp_0123456789'];
    for (const sizes of [[1], [3], [1, 2, 5]]) {
      const r = await stream(redacting, chunks(RESPONSE, sizes), redacting.newRequestState('s'));
      let released = '';
      for (const piece of r.released) {
        released += piece;
        for (const v of values) {
          // No prefix of a value longer than a few characters may show before the value is redacted.
          const tail = released.slice(-v.length);
          for (let k = 6; k <= v.length; k++) {
            assert.equal(tail.endsWith(v.slice(0, k)) && released.length < RESPONSE.length, false);
          }
        }
      }
      assert.doesNotMatch(released, /MIIEowIBAAKCAQEA/);
    }
  });

  it('holds back a bounded amount of text', async () => {
    const benign = 'All good here, nothing to hide. '.repeat(100);
    const s = redacting.outputStream(redacting.newRequestState('b'));
    let released = 0;
    for (const part of chunks(benign, [10])) released += (await s.push(part)).release.length;
    // Hold-back is the sum over the rewriting stages: secrets 512 + pii 200.
    assert.ok(benign.length - released <= 512 + 200 + 10, `held ${benign.length - released}`);
    released += (await s.end()).release.length;
    assert.equal(released, benign.length);
  });

  it('blocks mid-stream on a canary split over chunks, spaces and zero-width characters', async () => {
    const p = policy({ output: [{ type: 'canary', action: 'block' }] });
    const state = p.newRequestState('c');
    const leaked = state.canary!.split('').join('\u200b ');
    const text = `Sure. ${'x'.repeat(600)} The marker is ${leaked}. ${'y'.repeat(600)}`;
    const r = await stream(p, chunks(text, [3]), state);
    assert.equal(r.blocked, true);
    assert.ok(r.blockedAt > 0 && r.blockedAt < chunks(text, [3]).length - 1, 'blocked before the end');
    assert.doesNotMatch(r.text, /bwk/);
    assert.deepEqual(r.analysis.identifiedThreats, ['canary']);
    // After a block nothing more is released.
    assert.equal(r.released.slice(r.blockedAt).join(''), '');
  });

  it('restores anonymized values split across chunks', async () => {
    const p = policy({
      input: [{ type: 'pii', action: 'anonymize' }],
      output: [{ type: 'deanonymize', action: 'redact' }],
    });
    const state = p.newRequestState('d');
    await p.scanInput(['contact me at alice@example.com'], state);
    const r = await stream(p, chunks('I will write to <EMAIL_1> today.', [1]), state);
    assert.equal(r.text, 'I will write to alice@example.com today.');
  });

  it('holds a jsonSchema-checked response until it is complete, then judges it whole', async () => {
    const p = policy({
      output: [
        { type: 'jsonSchema', action: 'block', params: { schema: { type: 'object', required: ['answer'] } } },
      ],
    });
    const good = await stream(p, chunks('{"answer": 42}', [2]), p.newRequestState('j'));
    assert.deepEqual(good.released.slice(0, -1).join(''), '');
    assert.equal(good.text, '{"answer": 42}');
    assert.equal(good.blocked, false);
    const bad = await stream(p, chunks('{"other": 1}', [2]), p.newRequestState('j'));
    assert.equal(bad.blocked, true);
    assert.equal(bad.text, '');
  });

  it('runs flag-only scanners once on the complete response', async () => {
    const p = policy({ output: [{ type: 'noRefusal', action: 'flag' }] });
    const r = await stream(
      p,
      chunks("I'm sorry, but I can't help with that request.", [4]),
      p.newRequestState('f'),
    );
    assert.equal(r.blocked, false);
    assert.equal(r.text, "I'm sorry, but I can't help with that request.");
    assert.deepEqual(r.analysis.actions, { noRefusal: 'flag' });
  });
});
