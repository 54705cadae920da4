/**
 * The texts of a response that a chat client sends back as an assistant turn: a message's content (each
 * text part on its own, as the request side reads them) and its refusal. Tool-call arguments are not
 * among them: the request side judges those whoever wrote them.
 */
import type { InputRoute } from './input.ts';
import { type SseEvent, SseParser } from './sse.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function pushMessageTexts(texts: string[], message: Obj): void {
  const { content } = message;
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (!isObj(part)) continue;
      if (typeof part.text === 'string') texts.push(part.text);
      if (typeof part.refusal === 'string') texts.push(part.refusal);
    }
  }
  if (typeof message.refusal === 'string') texts.push(message.refusal);
}

/** Reply texts of a complete chat completion or Responses API response; none for other routes. */
export function replyTexts(route: InputRoute, body: unknown): string[] {
  const texts: string[] = [];
  if (!isObj(body)) return texts;
  if (route === 'chat' && Array.isArray(body.choices)) {
    for (const choice of body.choices) {
      if (isObj(choice) && isObj(choice.message)) pushMessageTexts(texts, choice.message);
    }
  }
  if (route === 'responses' && Array.isArray(body.output)) {
    for (const item of body.output) {
      if (isObj(item) && item.type === 'message') pushMessageTexts(texts, item);
    }
  }
  return texts;
}

/**
 * Reply texts of a streamed response, assembled from its events as the client assembles them: chat
 * deltas joined per choice, a Responses stream's final `response.completed` snapshot.
 */
export class StreamedReplies {
  private readonly chat = new Map<string, string>();
  private completed: string[] = [];

  constructor(private readonly route: InputRoute) {}

  push(event: SseEvent): void {
    if (event.data === '[DONE]' || (this.route !== 'chat' && this.route !== 'responses')) return;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!isObj(data)) return;
    if (this.route === 'responses') {
      if (data.type === 'response.completed') this.completed = replyTexts('responses', data.response);
      return;
    }
    if (!Array.isArray(data.choices)) return;
    for (const choice of data.choices) {
      if (!isObj(choice) || !isObj(choice.delta)) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      for (const field of ['content', 'refusal'] as const) {
        const delta = choice.delta[field];
        if (typeof delta !== 'string') continue;
        const key = `${index}:${field}`;
        this.chat.set(key, (this.chat.get(key) ?? '') + delta);
      }
    }
  }

  texts(): string[] {
    return this.route === 'responses' ? this.completed : [...this.chat.values()];
  }
}

/**
 * Reads the reply texts off a body the guard relays without scanning (the output check scanned it, or
 * the policy has no output scanners): JSON up to `maxBytes`, or an event stream.
 */
export class RelayedReplies {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly stream: { parser: SseParser; replies: StreamedReplies } | undefined;

  constructor(
    private readonly route: InputRoute,
    contentType: string,
    private readonly maxBytes: number,
  ) {
    if (contentType.startsWith('text/event-stream')) {
      this.stream = { parser: new SseParser(), replies: new StreamedReplies(route) };
    }
  }

  push(chunk: Buffer): void {
    if (this.stream) {
      for (const event of this.stream.parser.push(chunk)) this.stream.replies.push(event);
      return;
    }
    this.size += chunk.length;
    if (this.size <= this.maxBytes) this.chunks.push(chunk);
  }

  texts(): string[] {
    if (this.stream) {
      for (const event of this.stream.parser.end()) this.stream.replies.push(event);
      return this.stream.replies.texts();
    }
    if (this.size > this.maxBytes) return [];
    try {
      return replyTexts(this.route, JSON.parse(Buffer.concat(this.chunks, this.size).toString('utf8')));
    } catch {
      return [];
    }
  }
}
