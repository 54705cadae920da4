import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, GuardHttpError } from '../errors.ts';
import { applyTexts, type InputRoute, inputSlots, slotText } from './input.ts';
import { outputSlots } from './output.ts';

const texts = (route: InputRoute, body: unknown) => inputSlots(route, body).map(slotText);

/** Asserts a 400 with the given code and param. */
function rejects(route: InputRoute, body: unknown, code: string, param: string | null) {
  assert.throws(
    () => inputSlots(route, body),
    (err: unknown) => {
      assert.ok(err instanceof GuardHttpError);
      assert.equal(err.status, 400);
      assert.equal(err.code, code);
      assert.equal(err.param, param);
      return true;
    },
  );
}

describe('inputSlots: chat', () => {
  it('reads every message the model will read, all roles, parts, tool calls and results', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'part 1' }, 'bare part', { type: 'image_url' }] },
        {
          role: 'assistant',
          content: null,
          refusal: 'no',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
          function_call: { name: 'g', arguments: '{"legacy":true}' },
        },
        { role: 'tool', tool_call_id: 'c', content: 'tool result' },
      ],
      tools: [{ type: 'function', description: 'top', function: { name: 'f', description: 'fn doc' } }],
      chat_template: '{{ messages }}',
    };
    assert.deepEqual(texts('chat', body), [
      'sys',
      'part 1',
      'bare part',
      'no',
      '{"q":1}',
      '{"legacy":true}',
      'tool result',
      'top',
      'fn doc',
      '{{ messages }}',
    ]);
  });

  it('refuses shapes it cannot read rather than forwarding them unscanned', () => {
    rejects('chat', { messages: [] }, ErrorCodes.invalidRequest, 'messages');
    rejects('chat', { messages: 'hi' }, ErrorCodes.invalidRequest, 'messages');
    rejects('chat', { messages: ['hi'] }, ErrorCodes.invalidRequest, 'messages[0]');
    rejects(
      'chat',
      { messages: [{ role: 'user', content: 5 }] },
      ErrorCodes.invalidRequest,
      'messages[0].content',
    );
    rejects(
      'chat',
      { messages: [{ role: 'user', content: [{ text: 'untyped' }] }] },
      ErrorCodes.invalidRequest,
      'messages[0].content[0]',
    );
    rejects(
      'chat',
      { messages: [{ role: 'user', content: [{ type: 'text', text: 7 }] }] },
      ErrorCodes.invalidRequest,
      'messages[0].content[0].text',
    );
    rejects(
      'chat',
      { messages: [{ role: 'user', content: [{ type: 'video_frames', data: '...' }] }] },
      ErrorCodes.unsupportedInput,
      'messages[0].content[0]',
    );
    rejects('chat', [], ErrorCodes.invalidRequest, null);
  });
});

describe('inputSlots: completions, embeddings, responses', () => {
  it('completions: prompt string or list of strings, and the suffix; token ids are refused', () => {
    assert.deepEqual(texts('completions', { prompt: 'once', suffix: 'end' }), ['once', 'end']);
    assert.deepEqual(texts('completions', { prompt: ['a', 'b'] }), ['a', 'b']);
    rejects('completions', { prompt: [1, 2, 3] }, ErrorCodes.unsupportedInput, 'prompt');
    rejects('completions', { prompt: [] }, ErrorCodes.invalidRequest, 'prompt');
    rejects('completions', {}, ErrorCodes.invalidRequest, 'prompt');
  });

  it('embeddings: input string or list of strings', () => {
    assert.deepEqual(texts('embeddings', { input: 'x' }), ['x']);
    assert.deepEqual(texts('embeddings', { input: ['x', 'y'] }), ['x', 'y']);
    rejects('embeddings', { input: [[1, 2]] }, ErrorCodes.unsupportedInput, 'input');
  });

  it('responses: instructions, input items of every text-bearing type, tool descriptions', () => {
    const body = {
      instructions: 'be nice',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'question' }, { type: 'input_image' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call_output', call_id: 'c', output: 'result' },
        { type: 'custom_tool_call', call_id: 'd', name: 'g', input: 'raw input' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }] },
      ],
      tools: [{ type: 'function', name: 'f', description: 'does f' }],
    };
    assert.deepEqual(texts('responses', body), [
      'be nice',
      'question',
      'answer',
      '{"a":1}',
      'result',
      'raw input',
      'thought',
      'does f',
    ]);
    assert.deepEqual(texts('responses', { input: 'plain' }), ['plain']);
    rejects('responses', { input: [{ type: 'computer_call' }] }, ErrorCodes.unsupportedInput, 'input[0]');
    rejects('responses', { input: 5 }, ErrorCodes.invalidRequest, 'input');
  });
});

describe('inputSlots: who wrote what', () => {
  const by = (route: InputRoute, body: unknown) =>
    inputSlots(route, body).map((slot) => [slotText(slot), slot.author ?? '-']);

  it('chat: assistant content and refusals, system and developer messages; not tool calls or other roles', () => {
    const body = {
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
        { role: 'user', content: 'question' },
        { role: 'assistant', content: [{ type: 'text', text: 'part a' }, 'part b'], refusal: 'no' },
        {
          role: 'assistant',
          content: 'calling',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'tool result' },
      ],
    };
    assert.deepEqual(by('chat', body), [
      ['sys', 'instructions'],
      ['dev', 'instructions'],
      ['question', '-'],
      ['part a', 'assistant'],
      ['part b', 'assistant'],
      ['no', 'assistant'],
      ['calling', 'assistant'],
      ['{"q":1}', '-'],
      ['tool result', '-'],
    ]);
  });

  it('responses: instructions, assistant and system message items', () => {
    const body = {
      instructions: 'be brief',
      input: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'question' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] },
        { type: 'function_call_output', call_id: 'c', output: 'result' },
      ],
    };
    assert.deepEqual(by('responses', body), [
      ['be brief', 'instructions'],
      ['sys', 'instructions'],
      ['question', '-'],
      ['answer', 'assistant'],
      ['result', '-'],
    ]);
    assert.deepEqual(by('responses', { input: 'plain' }), [['plain', '-']]);
    assert.deepEqual(by('completions', { prompt: 'system: hi' }), [['system: hi', '-']]);
  });
});

describe('applyTexts', () => {
  it('writes rewritten texts back into the same places and says whether anything changed', () => {
    const body = {
      messages: [
        { role: 'user', content: 'mail bob@example.com' },
        { role: 'user', content: [{ type: 'text', text: 'unchanged' }, 'bare'] },
      ],
    };
    const slots = inputSlots('chat', body);
    assert.equal(applyTexts(slots, ['mail bob@example.com', 'unchanged', 'bare']), false);
    assert.equal(applyTexts(slots, ['mail <EMAIL_1>', 'unchanged', 'BARE']), true);
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'mail <EMAIL_1>' },
      { role: 'user', content: [{ type: 'text', text: 'unchanged' }, 'BARE'] },
    ]);
  });
});

describe('outputSlots', () => {
  it('chat/completions: every choice’s text, content parts, refusal, reasoning and tool-call arguments', () => {
    const body = {
      choices: [
        {
          message: {
            content: 'hello',
            refusal: 'r',
            reasoning_content: 'think',
            tool_calls: [{ function: { name: 'f', arguments: '{"x":1}' } }],
            function_call: { arguments: '{"y":2}' },
          },
        },
        { message: { content: [{ type: 'text', text: 'part' }] } },
        { text: 'completion text' },
      ],
    };
    assert.deepEqual(outputSlots('chat', body).map(slotText), [
      'hello',
      'r',
      'think',
      '{"x":1}',
      '{"y":2}',
      'part',
      'completion text',
    ]);
  });

  it('responses: output items and the output_text convenience field', () => {
    const body = {
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'answer' }] },
        { type: 'function_call', arguments: '{"a":1}' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'why' }] },
      ],
      output_text: 'answer',
    };
    assert.deepEqual(outputSlots('responses', body).map(slotText), ['answer', '{"a":1}', 'why', 'answer']);
  });

  it('anything unexpected yields no slots rather than throwing', () => {
    assert.deepEqual(outputSlots('chat', null), []);
    assert.deepEqual(outputSlots('chat', { choices: 'x' }), []);
    assert.deepEqual(outputSlots('embeddings', { data: [] }), []);
  });
});
