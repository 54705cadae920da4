import type { AnalysisRecord, CompiledPolicy, OutputStream } from '../../../shared/pipeline/types.ts';
import type { RequestState } from '../../scanners/types.ts';
import type { InputRoute } from './input.ts';

/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseEvent {
  event?: string;
  data: string;
  /** Other fields (id, retry) kept verbatim. */
  extra: string[];
}

/** Incremental SSE parser: feed bytes, get complete events. */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  push(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  end(): SseEvent[] {
    this.buffer += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    this.buffer = this.buffer.replace(/\r\n/g, '\n');
    let at = this.buffer.indexOf('\n\n');
    while (at !== -1) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const event = parseBlock(block);
      if (event) events.push(event);
      at = this.buffer.indexOf('\n\n');
    }
    if (final && this.buffer.trim() !== '') {
      const event = parseBlock(this.buffer);
      if (event) events.push(event);
      this.buffer = '';
    }
    return events;
  }
}

function parseBlock(block: string): SseEvent | undefined {
  const data: string[] = [];
  const extra: string[] = [];
  let event: string | undefined;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else extra.push(line);
  }
  if (data.length === 0 && event === undefined) return undefined;
  return { ...(event !== undefined ? { event } : {}), data: data.join('\n'), extra };
}

export function formatEvent(event: SseEvent): string {
  let out = '';
  for (const line of event.extra) out += `${line}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  for (const line of event.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type RewriteResult = { events: string[]; blocked: false } | { events: string[]; blocked: true };

/**
 * Rewrites one streamed completion event by event: every text delta goes through an incremental output
 * scan (one per choice/tool call/output part), so held-back text is released only once scanned, and
 * events that repeat the full text (`*.done`, `response.completed`) carry the released text.
 */
export class StreamRewriter {
  private readonly streams = new Map<string, OutputStream>();
  /** Text released so far per stream key; what `*.done` events must repeat. */
  private readonly released = new Map<string, string>();
  private readonly ended = new Set<string>();
  readonly analyses: AnalysisRecord[] = [];
  /** Released text of the whole stream, for the audit log when content logging is on. */
  completion = '';

  constructor(
    private readonly route: InputRoute,
    private readonly policy: CompiledPolicy,
    private readonly state: RequestState,
  ) {}

  private async push(key: string, delta: string): Promise<string | null> {
    let stream = this.streams.get(key);
    if (!stream) {
      stream = this.policy.outputStream(this.state);
      this.streams.set(key, stream);
    }
    const { release, blocked } = await stream.push(delta);
    if (blocked) return null;
    this.record(key, release);
    return release;
  }

  /** Ends one stream; returns its last release, or null when blocked. */
  private async finish(key: string): Promise<string | null> {
    const stream = this.streams.get(key);
    if (!stream || this.ended.has(key)) return '';
    this.ended.add(key);
    const { release, blocked, analysis } = await stream.end();
    this.analyses.push(analysis);
    if (blocked) return null;
    this.record(key, release);
    return release;
  }

  private record(key: string, release: string): void {
    if (release === '') return;
    this.released.set(key, (this.released.get(key) ?? '') + release);
    this.completion += release;
  }

  /**
   * The released text of each message content part and refusal (per choice, or per output part of a
   * Responses stream): the texts the client assembled, which it may send back as assistant turns.
   */
  replies(): string[] {
    const texts: string[] = [];
    for (const [key, text] of this.released) {
      const kind = key.split(':')[1];
      if (kind === 'c' || kind === 'refusal') texts.push(text);
    }
    return texts;
  }

  /** Upstream finished (or `[DONE]`): flushes every open stream. Returns trailing events. */
  async close(): Promise<RewriteResult> {
    const events: string[] = [];
    for (const key of this.streams.keys()) {
      const release = await this.finish(key);
      if (release === null) return { events, blocked: true };
      if (release !== '') events.push(...this.trailer(key, release));
    }
    return { events, blocked: false };
  }

  /** Held-back text released at the very end, as a synthetic delta event for the stream's key. */
  private trailer(key: string, release: string): string[] {
    const [a, kind, b] = key.split(':');
    const index = Number(a);
    if (this.route === 'responses') {
      const type = kind === 'a' ? 'response.function_call_arguments.delta' : 'response.output_text.delta';
      const event = { type, output_index: index, content_index: Number(b), delta: release };
      return [formatEvent({ event: type, data: JSON.stringify(event), extra: [] })];
    }
    const choice: Obj =
      this.route === 'completions'
        ? { index, text: release, finish_reason: null }
        : {
            index,
            delta:
              kind === 't'
                ? { tool_calls: [{ index: Number(b), function: { arguments: release } }] }
                : { content: release },
            finish_reason: null,
          };
    const object = this.route === 'completions' ? 'text_completion' : 'chat.completion.chunk';
    return [formatEvent({ data: JSON.stringify({ object, choices: [choice] }), extra: [] })];
  }

  async rewrite(event: SseEvent): Promise<RewriteResult> {
    if (event.data === '[DONE]') {
      const closed = await this.close();
      if (closed.blocked) return closed;
      return { events: [...closed.events, formatEvent(event)], blocked: false };
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      // Text the guard cannot parse might carry anything: do not release it.
      return { events: [], blocked: true };
    }
    if (!isObj(data)) return { events: [], blocked: true };
    const ok =
      this.route === 'responses' ? await this.rewriteResponses(data) : await this.rewriteChoices(data);
    if (!ok) return { events: [], blocked: true };
    const events = [...this.pendingTrailers.splice(0), formatEvent({ ...event, data: JSON.stringify(data) })];
    return { events, blocked: false };
  }

  private async rewriteChoices(chunk: Obj): Promise<boolean> {
    if (!Array.isArray(chunk.choices)) return true;
    for (const choice of chunk.choices) {
      if (!isObj(choice)) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      if (typeof choice.text === 'string') {
        const out = await this.push(`${index}:c:0`, choice.text);
        if (out === null) return false;
        choice.text = out;
      }
      const delta = isObj(choice.delta) ? choice.delta : undefined;
      if (delta) {
        for (const field of ['content', 'refusal', 'reasoning_content'] as const) {
          if (typeof delta[field] !== 'string') continue;
          const out = await this.push(`${index}:${field === 'content' ? 'c' : field}:0`, delta[field]);
          if (out === null) return false;
          delta[field] = out;
        }
        if (Array.isArray(delta.tool_calls)) {
          for (const call of delta.tool_calls) {
            if (!isObj(call) || !isObj(call.function) || typeof call.function.arguments !== 'string')
              continue;
            const out = await this.push(`${index}:t:${call.index ?? 0}`, call.function.arguments);
            if (out === null) return false;
            call.function.arguments = out;
          }
        }
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        // The choice is complete: release what was held back in this same chunk, before finish_reason.
        for (const key of [...this.streams.keys()].filter((k) => k.startsWith(`${index}:`))) {
          const release = await this.finish(key);
          if (release === null) return false;
          if (release === '') continue;
          const [, kind, sub] = key.split(':');
          if (this.route === 'completions') choice.text = `${(choice.text as string) ?? ''}${release}`;
          else {
            if (!isObj(choice.delta)) choice.delta = {};
            const d = choice.delta as Obj;
            if (kind === 't') {
              if (!Array.isArray(d.tool_calls)) d.tool_calls = [];
              (d.tool_calls as Obj[]).push({ index: Number(sub), function: { arguments: release } });
            } else {
              const field = kind === 'c' ? 'content' : kind!;
              d[field] = `${(d[field] as string | undefined) ?? ''}${release}`;
            }
          }
        }
      }
    }
    return true;
  }

  private async rewriteResponses(ev: Obj): Promise<boolean> {
    const type = typeof ev.type === 'string' ? ev.type : '';
    const oi = typeof ev.output_index === 'number' ? ev.output_index : 0;
    const sub = (ev.content_index ?? ev.summary_index ?? 0) as number;
    const kind = streamKind(type);
    if (kind && type.endsWith('.delta') && typeof ev.delta === 'string') {
      const out = await this.push(`${oi}:${kind}:${sub}`, ev.delta);
      if (out === null) return false;
      ev.delta = out;
      return true;
    }
    if (kind && type.endsWith('.done')) {
      const key = `${oi}:${kind}:${sub}`;
      const release = await this.finish(key);
      if (release === null) return false;
      // The done event repeats the whole text: it becomes the released text, and a held-back tail
      // reaches clients that only read deltas through the done event's own text field.
      const full = this.released.get(key) ?? '';
      for (const field of ['text', 'arguments', 'refusal', 'input'] as const) {
        if (typeof ev[field] === 'string') ev[field] = full;
      }
      if (release !== '') this.pendingTrailers.push(...this.trailer(key, release));
      return true;
    }
    if (isObj(ev.part)) this.replaceParts(oi, [ev.part], sub);
    if (isObj(ev.item)) this.replaceItem(oi, ev.item);
    if (isObj(ev.response) && Array.isArray(ev.response.output)) {
      if (this.streams.size > [...this.ended].length) {
        const closed = await this.close();
        if (closed.blocked) return false;
        this.pendingTrailers.push(...closed.events);
      }
      ev.response.output.forEach((item, i) => {
        if (isObj(item)) this.replaceItem(i, item);
      });
      if (typeof ev.response.output_text === 'string') ev.response.output_text = this.completion;
    }
    return true;
  }

  /** Synthetic delta events that must go out before the event just rewritten. */
  readonly pendingTrailers: string[] = [];

  private replaceItem(oi: number, item: Obj): void {
    if (Array.isArray(item.content)) this.replaceParts(oi, item.content, 0, 'c');
    if (Array.isArray(item.summary)) this.replaceParts(oi, item.summary, 0, 's');
    if (typeof item.arguments === 'string') item.arguments = this.released.get(`${oi}:a:0`) ?? '';
  }

  private replaceParts(oi: number, parts: unknown[], first: number, kind?: string): void {
    parts.forEach((part, j) => {
      if (!isObj(part)) return;
      const k = kind ?? (part.type === 'summary_text' ? 's' : part.type === 'reasoning_text' ? 'r' : 'c');
      const key = `${oi}:${k}:${kind ? j : first}`;
      for (const field of ['text', 'refusal'] as const) {
        if (typeof part[field] === 'string') part[field] = this.released.get(key) ?? '';
      }
    });
  }
}

/** Stream key kind per Responses API streaming event family (https://platform.openai.com/docs/api-reference/responses-streaming). */
function streamKind(type: string): string | undefined {
  if (type.startsWith('response.output_text.') || type.startsWith('response.refusal.')) return 'c';
  if (type.startsWith('response.function_call_arguments.')) return 'a';
  if (type.startsWith('response.custom_tool_call_input.')) return 'a';
  if (type.startsWith('response.reasoning_summary_text.')) return 's';
  if (type.startsWith('response.reasoning_text.')) return 'r';
  return undefined;
}
