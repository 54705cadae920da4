import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RelayedReplies, replyTexts, StreamedReplies } from './replies.ts';
import { formatEvent } from './sse.ts';

const chatCompletion = {
  object: 'chat.completion',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'first' } },
    {
      index: 1,
      message: {
        role: 'assistant',
        content: null,
        refusal: 'I cannot',
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
    },
  ],
};

const response = {
  object: 'response',
  output: [
    { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
    {
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'output_text', text: 'part one' },
        { type: 'refusal', refusal: 'part two' },
      ],
    },
    { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
  ],
};

const event = (data: unknown) => ({ data: JSON.stringify(data), extra: [] });

describe('replyTexts', () => {
  it('chat: each choice’s content and refusal, not tool-call arguments', () => {
    assert.deepEqual(replyTexts('chat', chatCompletion), ['first', 'I cannot']);
  });

  it('responses: the text of each message part, not reasoning or calls', () => {
    assert.deepEqual(replyTexts('responses', response), ['part one', 'part two']);
  });

  it('routes without assistant turns, and bodies of no known shape, give nothing', () => {
    assert.deepEqual(replyTexts('completions', { choices: [{ text: 'x' }] }), []);
    assert.deepEqual(replyTexts('chat', 'not an object'), []);
    assert.deepEqual(replyTexts('chat', { choices: 'x' }), []);
  });
});

describe('StreamedReplies', () => {
  it('chat: joins each choice’s deltas as the client does', () => {
    const replies = new StreamedReplies('chat');
    const chunk = (index: number, delta: object) => event({ choices: [{ index, delta }] });
    for (const e of [
      chunk(0, { role: 'assistant', content: 'Hel' }),
      chunk(1, { content: 'Other' }),
      chunk(0, { content: 'lo' }),
      chunk(0, { tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      { data: 'not json', extra: [] },
      { data: '[DONE]', extra: [] },
    ]) {
      replies.push(e);
    }
    assert.deepEqual(replies.texts(), ['Hello', 'Other']);
  });

  it('responses: the final snapshot of the response', () => {
    const replies = new StreamedReplies('responses');
    replies.push(event({ type: 'response.output_text.delta', output_index: 1, delta: 'part' }));
    assert.deepEqual(replies.texts(), []);
    replies.push(event({ type: 'response.completed', response }));
    assert.deepEqual(replies.texts(), ['part one', 'part two']);
  });
});

describe('RelayedReplies', () => {
  it('reads JSON split across chunks', () => {
    const raw = Buffer.from(JSON.stringify(chatCompletion));
    const tap = new RelayedReplies('chat', 'application/json', raw.length);
    tap.push(raw.subarray(0, 7));
    tap.push(raw.subarray(7));
    assert.deepEqual(tap.texts(), ['first', 'I cannot']);
  });

  it('gives up on JSON larger than its limit, or not JSON at all', () => {
    const raw = Buffer.from(JSON.stringify(chatCompletion));
    const big = new RelayedReplies('chat', 'application/json', raw.length - 1);
    big.push(raw);
    assert.deepEqual(big.texts(), []);
    const bad = new RelayedReplies('chat', 'application/json', 100);
    bad.push(Buffer.from('{"choices": ['));
    assert.deepEqual(bad.texts(), []);
  });

  it('reads an event stream split anywhere', () => {
    const wire = Buffer.from(
      [
        formatEvent(event({ choices: [{ index: 0, delta: { content: 'Hé' } }] })),
        formatEvent(event({ choices: [{ index: 0, delta: { content: 'llo' } }] })),
        'data: [DONE]\n\n',
      ].join(''),
    );
    const tap = new RelayedReplies('chat', 'text/event-stream; charset=utf-8', 0);
    for (let i = 0; i < wire.length; i += 5) tap.push(wire.subarray(i, i + 5));
    assert.deepEqual(tap.texts(), ['Héllo']);
  });
});
