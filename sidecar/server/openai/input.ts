import { ErrorCodes, GuardHttpError } from '../errors.ts';

/**
 * A place in a request or response body that holds text the model reads or writes. Scanning reads every
 * slot, and redact/anonymize write the rewritten text back into the same place.
 */
export interface TextSlot {
  target: Record<string | number, unknown>;
  key: string | number;
  /** Where an input text is in the request, as OpenAI errors name a parameter: `messages[0].content`. */
  param?: string;
  /**
   * Who wrote the text, where the request says so: `assistant`, an earlier reply of the model (its content
   * or refusal) that the conversation repeats; `instructions`, a system or developer message or the
   * Responses API's instructions, normally the application's own. Absent for everything else.
   */
  author?: 'assistant' | 'instructions';
}

/** Arrays hold text too (prompt lists, content parts given as strings); they index like records. */
const asRecord = (value: unknown[] | Record<string, unknown>) => value as Record<string | number, unknown>;

export const slotText = (slot: TextSlot): string => slot.target[slot.key] as string;

/** Writes texts back; returns true when any slot changed. */
export function applyTexts(slots: readonly TextSlot[], texts: readonly string[]): boolean {
  let changed = false;
  slots.forEach((slot, i) => {
    const next = texts[i]!;
    if (slot.target[slot.key] !== next) {
      slot.target[slot.key] = next;
      changed = true;
    }
  });
  return changed;
}

export type InputRoute = 'chat' | 'completions' | 'responses' | 'embeddings';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Marks the slots pushed since `first` with their author when `holder` is a message whose role says it. */
function markAuthor(slots: TextSlot[], first: number, holder: Obj): void {
  const author =
    holder.role === 'assistant'
      ? 'assistant'
      : holder.role === 'system' || holder.role === 'developer'
        ? 'instructions'
        : undefined;
  if (!author) return;
  for (let i = first; i < slots.length; i++) slots[i]!.author = author;
}

function invalid(message: string, param: string | null): GuardHttpError {
  return new GuardHttpError(400, ErrorCodes.invalidRequest, message, 'invalid_request_error', param);
}

// Input the guard cannot read is refused rather than forwarded unscanned: a bypass is worse than a 400.
function unscannable(message: string, param: string | null): GuardHttpError {
  return new GuardHttpError(400, ErrorCodes.unsupportedInput, message, 'invalid_request_error', param);
}

function pushString(slots: TextSlot[], target: Obj | unknown[], key: string | number, param: string): void {
  const value = (target as Obj)[key];
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') throw invalid(`${param} must be a string.`, param);
  slots.push({ target: target as Obj, key, param });
}

/** Content part types that carry no text (images, audio, files are not scanned; see README). */
const NON_TEXT_PARTS = new Set(['image_url', 'input_image', 'input_audio', 'file', 'input_file']);
const TEXT_PARTS: Record<string, string> = {
  text: 'text',
  input_text: 'text',
  output_text: 'text',
  refusal: 'refusal',
  summary_text: 'text',
  reasoning_text: 'text',
};

function pushContent(slots: TextSlot[], holder: Obj, key: string, param: string): void {
  const content = holder[key];
  if (content === undefined || content === null) return;
  if (typeof content === 'string') {
    slots.push({ target: holder, key, param });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of parts.`, param);
  content.forEach((part, j) => {
    const where = `${param}[${j}]`;
    if (typeof part === 'string') {
      slots.push({ target: asRecord(content), key: j, param: where });
      return;
    }
    if (!isObj(part) || typeof part.type !== 'string') throw invalid(`${where} must be a typed part.`, where);
    const field = TEXT_PARTS[part.type];
    if (field) pushString(slots, part, field, `${where}.${field}`);
    else if (!NON_TEXT_PARTS.has(part.type)) {
      throw unscannable(`${where}: content part type ${JSON.stringify(part.type)} is not supported.`, where);
    }
  });
}

function pushTools(slots: TextSlot[], body: Obj): void {
  // Tool descriptions are prompt text too (an injection vector through third-party tool catalogues).
  if (!Array.isArray(body.tools)) return;
  body.tools.forEach((tool, i) => {
    if (!isObj(tool)) return;
    pushString(slots, tool, 'description', `tools[${i}].description`);
    if (isObj(tool.function))
      pushString(slots, tool.function, 'description', `tools[${i}].function.description`);
  });
}

function chatSlots(body: Obj): TextSlot[] {
  const slots: TextSlot[] = [];
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalid('messages must be a non-empty array.', 'messages');
  }
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (!isObj(message)) throw invalid(`${param} must be an object.`, param);
    const first = slots.length;
    pushContent(slots, message, 'content', `${param}.content`);
    pushString(slots, message, 'refusal', `${param}.refusal`);
    markAuthor(slots, first, message);
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call, j) => {
        if (isObj(call) && isObj(call.function)) {
          pushString(slots, call.function, 'arguments', `${param}.tool_calls[${j}].function.arguments`);
        }
      });
    }
    if (isObj(message.function_call)) {
      pushString(slots, message.function_call, 'arguments', `${param}.function_call.arguments`);
    }
  });
  pushTools(slots, body);
  // vLLM accepts a per-request chat template; its literal text reaches the model like a message.
  pushString(slots, body, 'chat_template', 'chat_template');
  return slots;
}

function promptSlots(body: Obj, key: 'prompt' | 'input'): TextSlot[] {
  const slots: TextSlot[] = [];
  const value = body[key];
  if (typeof value === 'string') slots.push({ target: body, key, param: key });
  else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    value.forEach((_, i) => {
      slots.push({ target: asRecord(value), key: i, param: `${key}[${i}]` });
    });
  } else if (Array.isArray(value) && value.length > 0) {
    throw unscannable(`${key} as token ids cannot be scanned; send text.`, key);
  } else throw invalid(`${key} must be a string or a non-empty array of strings.`, key);
  return slots;
}

/** Response item types whose text fields are listed below; any other type is refused. */
const RESPONSE_ITEM_TYPES = new Set([
  'message',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'reasoning',
  'item_reference',
  'web_search_call',
  'file_search_call',
  'image_generation_call',
  'mcp_approval_response',
]);

function responsesSlots(body: Obj): TextSlot[] {
  const slots: TextSlot[] = [];
  pushString(slots, body, 'instructions', 'instructions');
  if (slots.length > 0) slots[0]!.author = 'instructions';
  const { input } = body;
  if (typeof input === 'string') slots.push({ target: body, key: 'input', param: 'input' });
  else if (Array.isArray(input)) {
    input.forEach((item, i) => {
      const param = `input[${i}]`;
      if (!isObj(item)) throw invalid(`${param} must be an object.`, param);
      const type = typeof item.type === 'string' ? item.type : 'message';
      if (!RESPONSE_ITEM_TYPES.has(type)) {
        throw unscannable(`${param}: item type ${JSON.stringify(type)} is not supported.`, param);
      }
      const first = slots.length;
      pushContent(slots, item, 'content', `${param}.content`);
      if (type === 'message') markAuthor(slots, first, item);
      pushContent(slots, item, 'output', `${param}.output`);
      pushString(slots, item, 'arguments', `${param}.arguments`);
      if (type === 'custom_tool_call') pushString(slots, item, 'input', `${param}.input`);
      if (Array.isArray(item.summary)) pushContent(slots, item, 'summary', `${param}.summary`);
    });
  } else if (input !== undefined) throw invalid('input must be a string or an array of items.', 'input');
  pushTools(slots, body);
  return slots;
}

/** Every text the model will read in this request, in a stable order. Throws GuardHttpError 400. */
export function inputSlots(route: InputRoute, body: unknown): TextSlot[] {
  if (!isObj(body)) throw invalid('Request body must be a JSON object.', null);
  switch (route) {
    case 'chat':
      return chatSlots(body);
    case 'completions': {
      const slots = promptSlots(body, 'prompt');
      pushString(slots, body, 'suffix', 'suffix');
      return slots;
    }
    case 'responses':
      return responsesSlots(body);
    case 'embeddings':
      return promptSlots(body, 'input');
  }
}
