import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuardrailPolicySpec } from '../../../api/v1alpha1/index.ts';
import { compilePolicy } from '../../../shared/pipeline/index.ts';
import { formatEvent, type SseEvent, SseParser, StreamRewriter } from './sse.ts';

const enc = new TextEncoder();

describe('SseParser', () => {
  it('reassembles events split anywhere, including inside a UTF-8 character and a CRLF', () => {
    const wire = enc.encode(
      'event: greet\r\nid: 7\r\ndata: héllo\r\ndata: wörld\r\n\r\n: a comment\n\ndata: [DONE]\n\n',
    );
    const parser = new SseParser();
    const events: SseEvent[] = [];
    for (let i = 0; i < wire.length; i += 3) events.push(...parser.push(wire.subarray(i, i + 3)));
    events.push(...parser.end());
    assert.deepEqual(events, [
      { event: 'greet', data: 'héllo\nwörld', extra: ['id: 7'] },
      { data: '[DONE]', extra: [] },
    ]);
  });

  it('flushes a last event that lacks its blank line at the end of the stream', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(enc.encode('data: {"a":1}\n')), []);
    assert.deepEqual(parser.end(), [{ data: '{"a":1}', extra: [] }]);
  });

  it('formatEvent writes what the parser reads back', () => {
    const event: SseEvent = { event: 'x', data: 'line 1\nline 2', extra: ['id: 3', 'retry: 10'] };
    const parser = new SseParser();
    assert.deepEqual(parser.push(enc.encode(formatEvent(event))), [event]);
  });
});

const policy = compilePolicy({
  name: 't',
  hash: 'h',
  spec: GuardrailPolicySpec.parse({
    input: [],
    output: [
      { type: 'regex', action: 'redact', params: { patterns: ['\\bINC-[0-9]{5}\\b'] } },
      { type: 'bannedSubstrings', action: 'block', params: { substrings: ['as an unrestricted AI'] } },
    ],
  }),
});

/** Runs events through a rewriter as the proxy does; returns the parsed events sent on and whether it blocked. */
async function rewriteAll(route: 'chat' | 'completions' | 'responses', events: SseEvent[]) {
  const rewriter = new StreamRewriter(route, policy, policy.newRequestState('r'));
  const out: string[] = [];
  let blocked = false;
  for (const event of events) {
    const r = await rewriter.rewrite(event);
    out.push(...r.events);
    if (r.blocked) {
      blocked = true;
      break;
    }
  }
  if (!blocked) {
    const closed = await rewriter.close();
    out.push(...closed.events);
    blocked = closed.blocked;
  }
  const parser = new SseParser();
  const parsed = out.flatMap((e) => parser.push(enc.encode(e)));
  return { blocked, parsed, wire: out.join(''), rewriter };
}

const chatChunk = (choice: Record<string, unknown>): SseEvent => ({
  data: JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, ...choice }] }),
  extra: [],
});

const content = (events: SseEvent[]) =>
  events
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? '')
    .join('');

describe('StreamRewriter', () => {
  it('chat: a match split across deltas is redacted, never released, and the tail comes before finish_reason', async () => {
    const deltas = ['Your ticket is IN', 'C-12', '345, we are', ' on it.'];
    const { blocked, parsed, wire } = await rewriteAll('chat', [
      chatChunk({ delta: { role: 'assistant', content: '' }, finish_reason: null }),
      ...deltas.map((d) => chatChunk({ delta: { content: d }, finish_reason: null })),
      chatChunk({ delta: {}, finish_reason: 'stop' }),
      { data: '[DONE]', extra: [] },
    ]);
    assert.equal(blocked, false);
    assert.doesNotMatch(wire, /INC-12345|12345/);
    assert.equal(content(parsed), 'Your ticket is [REDACTED:regex:0], we are on it.');
    const last = parsed.at(-2)!;
    assert.equal(JSON.parse(last.data).choices[0].finish_reason, 'stop');
    assert.equal(parsed.at(-1)!.data, '[DONE]');
  });

  it('chat: a blocked phrase ends the stream before any of it is released', async () => {
    const { blocked, wire, rewriter } = await rewriteAll(
      'chat',
      ['Sure! Speaking as an unres', 'tricted AI, here is how'].map((d) =>
        chatChunk({ delta: { content: d }, finish_reason: null }),
      ),
    );
    assert.equal(blocked, true);
    assert.doesNotMatch(wire, /unres/);
    assert.deepEqual(rewriter.analyses.at(-1)?.identifiedThreats, ['bannedSubstrings']);
  });

  it('chat: streamed tool-call arguments are scanned too', async () => {
    const call = (args: string) =>
      chatChunk({
        delta: { tool_calls: [{ index: 0, function: { arguments: args } }] },
        finish_reason: null,
      });
    const { parsed, wire } = await rewriteAll('chat', [
      call('{"ticket":"INC-'),
      call('54321"}'),
      chatChunk({ delta: {}, finish_reason: 'tool_calls' }),
    ]);
    assert.doesNotMatch(wire, /54321/);
    const args = parsed
      .flatMap((e) => JSON.parse(e.data).choices[0].delta?.tool_calls ?? [])
      .map((c: { function: { arguments: string } }) => c.function.arguments)
      .join('');
    assert.equal(args, '{"ticket":"[REDACTED:regex:0]"}');
  });

  it('completions: text deltas', async () => {
    const chunk = (text: string, finish: string | null = null): SseEvent => ({
      data: JSON.stringify({
        object: 'text_completion',
        choices: [{ index: 0, text, finish_reason: finish }],
      }),
      extra: [],
    });
    const { parsed } = await rewriteAll('completions', [
      chunk('see INC-1'),
      chunk('1111 now'),
      chunk('', 'stop'),
    ]);
    assert.equal(
      parsed.map((e) => JSON.parse(e.data).choices[0].text).join(''),
      'see [REDACTED:regex:0] now',
    );
  });

  it('responses: deltas, the done event and response.completed all carry only the released text', async () => {
    const ev = (type: string, rest: Record<string, unknown>): SseEvent => ({
      event: type,
      data: JSON.stringify({ type, ...rest }),
      extra: [],
    });
    const where = { output_index: 0, content_index: 0 };
    const raw = 'Ticket INC-77777 closed.';
    const { parsed, wire } = await rewriteAll('responses', [
      ev('response.output_text.delta', { ...where, delta: 'Ticket INC-' }),
      ev('response.output_text.delta', { ...where, delta: '77777 closed.' }),
      ev('response.output_text.done', { ...where, text: raw }),
      ev('response.completed', {
        response: { output: [{ type: 'message', content: [{ type: 'output_text', text: raw }] }] },
      }),
    ]);
    assert.doesNotMatch(wire, /77777/);
    const data = parsed.map((e) => JSON.parse(e.data));
    const deltas = data
      .filter((d) => d.type === 'response.output_text.delta')
      .map((d) => d.delta)
      .join('');
    assert.equal(deltas, 'Ticket [REDACTED:regex:0] closed.');
    assert.equal(data.find((d) => d.type === 'response.output_text.done').text, deltas);
    assert.equal(
      data.find((d) => d.type === 'response.completed').response.output[0].content[0].text,
      deltas,
    );
  });

  it('data the guard cannot parse is not released', async () => {
    const { blocked, wire } = await rewriteAll('chat', [{ data: '{"choices": [', extra: [] }]);
    assert.equal(blocked, true);
    assert.equal(wire, '');
  });
});
