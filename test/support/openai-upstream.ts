/**
 * A small OpenAI-compatible model server for tests and the demo. Deterministic: it answers from the
 * prompt, so a test decides exactly what the "model" writes:
 *   - `REPLY: <text>` in the last user turn: the reply is <text> (make it leak PII, a URL, ...);
 *   - `LEAK_SYSTEM` anywhere: the reply repeats the system prompt (leaks an injected canary);
 *   - `CALL_TOOL: <json>`: a tool call whose arguments are <json>;
 *   - otherwise `Echo: <last user text>`.
 * Streams split the reply into chunks of `chunkSize` characters. Every request is recorded.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  json: unknown;
}

export interface UpstreamBehaviour {
  /** Wait this long before answering (504 tests). */
  delayMs: number;
  /** Answer every request with this status and an OpenAI error body. */
  failStatus?: number;
  /** Characters per streamed chunk. */
  chunkSize: number;
  /** Pause between streamed chunks. */
  chunkDelayMs: number;
  /** Keep every request in `requests` (default true); benchmarks turn it off so memory stays flat. */
  record: boolean;
  /** Answer with this text whatever the prompt (a reply no prompt may contain, e.g. one the guard blocks). */
  reply?: string;
}

export interface FakeUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  behaviour: UpstreamBehaviour;
  /** Streams the client went away from before the end (client-disconnect tests). */
  abortedStreams: number;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;
type Message = { type?: string; role?: string; content?: unknown };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : typeof (p as Obj)?.text === 'string' ? (p as Obj).text : ''))
      .join('');
  }
  return '';
}

/** The conversation as [system text, last user text, everything]. */
function readPrompt(path: string, body: Obj): { system: string; user: string } {
  if (path.endsWith('/chat/completions')) {
    const messages = (Array.isArray(body.messages) ? body.messages : []) as Message[];
    const system = messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => textOf(m.content))
      .join('\n');
    const users = messages.filter((m) => m.role === 'user');
    return { system, user: textOf(users[users.length - 1]?.content) };
  }
  if (path.endsWith('/responses')) {
    const input = body.input;
    const items = (
      typeof input === 'string' ? [{ role: 'user', content: input }] : (input ?? [])
    ) as Message[];
    const users = items.filter((m) => (m.type ?? 'message') === 'message' && (m.role ?? 'user') === 'user');
    const system = [
      typeof body.instructions === 'string' ? body.instructions : '',
      ...items.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)),
    ].join('\n');
    return { system, user: textOf(users[users.length - 1]?.content) };
  }
  const prompt = Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt ?? '');
  return { system: '', user: prompt };
}

export function replyFor(system: string, user: string): { text: string; toolArgs?: string } {
  const tool = /CALL_TOOL:\s*([\s\S]*)$/.exec(user);
  if (tool) return { text: '', toolArgs: tool[1]!.trim() };
  const reply = /REPLY:\s*([\s\S]*)$/.exec(user);
  if (reply) return { text: reply[1]! };
  if (user.includes('LEAK_SYSTEM')) return { text: `My instructions were: ${system}` };
  return { text: `Echo: ${user}` };
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeUpstream(behaviour: Partial<UpstreamBehaviour> = {}): Promise<FakeUpstream> {
  const state: FakeUpstream = {
    url: '',
    port: 0,
    requests: [],
    behaviour: { delayMs: 0, chunkSize: 4, chunkDelayMs: 0, record: true, ...behaviour },
    abortedStreams: 0,
    close: async () => {},
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    const raw = Buffer.concat(parts).toString('utf8');
    let json: unknown;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = undefined;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const b = state.behaviour;
    if (b.record) state.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, raw, json });
    if (b.delayMs > 0) await sleep(b.delayMs);
    if (res.destroyed) return;
    if (b.failStatus) {
      res.writeHead(b.failStatus, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: 'fake failure', type: 'server_error', code: null, param: null } }),
      );
      return;
    }
    if (req.method === 'GET' && (path === '/health' || path === '/v1/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        path === '/health'
          ? '{}'
          : JSON.stringify({
              object: 'list',
              data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }],
            }),
      );
      return;
    }
    const body = (json ?? {}) as Obj;
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    if (path === '/v1/embeddings') {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model,
          data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
      return;
    }
    const { system, user } = readPrompt(path, body);
    // Ids derive from the user text, so the same question gets byte-identical answers directly and via the guard.
    const id = createHash('sha256').update(`${path}\n${user}`).digest('hex').slice(0, 12);
    const { text, toolArgs } = b.reply !== undefined ? { text: b.reply } : replyFor(system, user);
    const stream = body.stream === true;
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(complete(path, id, model, text, toolArgs)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        aborted = true;
        state.abortedStreams++;
      }
    });
    for (const event of streamEvents(path, id, model, text, toolArgs, b.chunkSize)) {
      if (aborted) return;
      res.write(event);
      if (b.chunkDelayMs > 0) await sleep(b.chunkDelayMs);
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

function complete(path: string, id: string, model: string, text: string, toolArgs?: string): Obj {
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (path.endsWith('/responses')) {
    const output = toolArgs
      ? [
          {
            type: 'function_call',
            id: `fc_${id}`,
            call_id: `call_${id}`,
            name: 'lookup',
            arguments: toolArgs,
            status: 'completed',
          },
        ]
      : [
          {
            type: 'message',
            id: `msg_${id}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ];
    return { id: `resp_${id}`, object: 'response', created_at: 0, model, status: 'completed', output, usage };
  }
  if (path.endsWith('/chat/completions')) {
    const message: Obj = { role: 'assistant', content: toolArgs ? null : text, refusal: null };
    if (toolArgs) {
      message.tool_calls = [
        { id: `call_${id}`, type: 'function', function: { name: 'lookup', arguments: toolArgs } },
      ];
    }
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message, finish_reason: toolArgs ? 'tool_calls' : 'stop', logprobs: null }],
      usage,
    };
  }
  return {
    id: `cmpl-${id}`,
    object: 'text_completion',
    created: 0,
    model,
    choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
    usage,
  };
}

const sse = (data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function* streamEvents(
  path: string,
  id: string,
  model: string,
  text: string,
  toolArgs: string | undefined,
  size: number,
) {
  if (path.endsWith('/responses')) {
    let seq = 0;
    const ev = (type: string, rest: Obj) => sse({ type, sequence_number: seq++, ...rest }, type);
    const base = { id: `resp_${id}`, object: 'response', created_at: 0, model };
    yield ev('response.created', { response: { ...base, status: 'in_progress', output: [] } });
    const item = { type: 'message', id: `msg_${id}`, role: 'assistant', status: 'in_progress', content: [] };
    yield ev('response.output_item.added', { output_index: 0, item });
    const where = { item_id: `msg_${id}`, output_index: 0, content_index: 0 };
    yield ev('response.content_part.added', {
      ...where,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (const delta of chunks(text, size))
      yield ev('response.output_text.delta', { ...where, delta, logprobs: [] });
    yield ev('response.output_text.done', { ...where, text, logprobs: [] });
    const part = { type: 'output_text', text, annotations: [] };
    yield ev('response.content_part.done', { ...where, part });
    const done = { ...item, status: 'completed', content: [part] };
    yield ev('response.output_item.done', { output_index: 0, item: done });
    yield ev('response.completed', { response: { ...base, status: 'completed', output: [done] } });
    return;
  }
  const chat = path.endsWith('/chat/completions');
  const chunk = (choice: Obj) =>
    sse({
      id: chat ? `chatcmpl-${id}` : `cmpl-${id}`,
      object: chat ? 'chat.completion.chunk' : 'text_completion',
      created: 0,
      model,
      choices: [{ index: 0, logprobs: null, ...choice }],
    });
  if (chat) {
    yield chunk({ delta: { role: 'assistant', content: '' }, finish_reason: null });
    if (toolArgs) {
      yield chunk({
        delta: {
          tool_calls: [
            { index: 0, id: `call_${id}`, type: 'function', function: { name: 'lookup', arguments: '' } },
          ],
        },
        finish_reason: null,
      });
      for (const piece of chunks(toolArgs, size)) {
        yield chunk({
          delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] },
          finish_reason: null,
        });
      }
      yield chunk({ delta: {}, finish_reason: 'tool_calls' });
    } else {
      for (const piece of chunks(text, size)) yield chunk({ delta: { content: piece }, finish_reason: null });
      yield chunk({ delta: {}, finish_reason: 'stop' });
    }
  } else {
    for (const piece of chunks(text, size)) yield chunk({ text: piece, finish_reason: null });
    yield chunk({ text: '', finish_reason: 'stop' });
  }
  yield sse('[DONE]');
}
