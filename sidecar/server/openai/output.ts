import type { InputRoute, TextSlot } from './input.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function pushIfString(slots: TextSlot[], target: Obj | unknown[], key: string | number): void {
  if (typeof (target as Obj)[key] === 'string') slots.push({ target: target as Obj, key });
}

function pushParts(slots: TextSlot[], holder: Obj, key: string): void {
  const value = holder[key];
  if (typeof value === 'string') slots.push({ target: holder, key });
  else if (Array.isArray(value)) {
    for (const part of value) {
      if (!isObj(part)) continue;
      pushIfString(slots, part, 'text');
      pushIfString(slots, part, 'refusal');
    }
  }
}

/**
 * Every text the model wrote in a complete (non-streamed) response; each is scanned as one output.
 * Tool-call arguments are outputs too: they reach tools verbatim.
 */
export function outputSlots(route: InputRoute, body: unknown): TextSlot[] {
  if (!isObj(body)) return [];
  const slots: TextSlot[] = [];
  if (route === 'chat' || route === 'completions') {
    if (!Array.isArray(body.choices)) return [];
    for (const choice of body.choices) {
      if (!isObj(choice)) continue;
      pushIfString(slots, choice, 'text');
      const message = choice.message;
      if (isObj(message)) {
        pushParts(slots, message, 'content');
        pushIfString(slots, message, 'refusal');
        pushIfString(slots, message, 'reasoning_content');
        if (Array.isArray(message.tool_calls)) {
          for (const call of message.tool_calls) {
            if (isObj(call) && isObj(call.function)) pushIfString(slots, call.function, 'arguments');
          }
        }
        if (isObj(message.function_call)) pushIfString(slots, message.function_call, 'arguments');
      }
    }
    return slots;
  }
  if (route === 'responses') {
    if (Array.isArray(body.output)) {
      for (const item of body.output) {
        if (!isObj(item)) continue;
        pushParts(slots, item, 'content');
        pushParts(slots, item, 'summary');
        pushIfString(slots, item, 'arguments');
        pushIfString(slots, item, 'input');
        pushIfString(slots, item, 'output');
      }
    }
    // Some servers add the SDK's convenience field; it repeats the message text and must match it.
    if (typeof body.output_text === 'string') slots.push({ target: body, key: 'output_text' });
  }
  return slots;
}
