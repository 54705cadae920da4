import { isUtf8 } from 'node:buffer';
import { ErrorCodes, GuardHttpError } from '../../errors.ts';
import { type GuardRequest, type GuardResponse, header, locals, type Next } from '../../locals.ts';

export interface JsonBodyOptions {
  /** Larger bodies are refused with 413 before they are parsed (or, without Content-Length, while read). */
  maxBytes: number;
  /** Deepest allowed nesting of arrays and objects; deeper documents are refused before JSON.parse. */
  maxDepth: number;
}

/** What nearly every client sends; anything else goes through the full check. */
const PLAIN_JSON = 'application/json';

/**
 * Reads and validates a JSON request body: content type, size, UTF-8 (RFC 8259 §8.1 requires it), nesting
 * depth and syntax. Leaves the raw bytes and the parsed value on res.locals; the raw bytes are forwarded
 * unchanged when no scanner rewrites anything.
 */
export function jsonBody(options: JsonBodyOptions) {
  const { maxBytes, maxDepth } = options;
  return function jsonBodyMiddleware(req: GuardRequest, res: GuardResponse, next: Next): void {
    const type = header(req, 'content-type');
    const refused = type === PLAIN_JSON ? undefined : contentTypeError(type);
    if (refused) {
      next(refused);
      return;
    }
    const declared = Number(header(req, 'content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      tooLarge(req, res, next, maxBytes);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: GuardHttpError) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        next(err);
        return;
      }
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      try {
        locals(res).rawBody = raw;
        locals(res).body = parseJson(raw, maxDepth);
      } catch (parseErr) {
        next(parseErr);
        return;
      }
      next();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.off('data', onData);
        tooLarge(req, res, next, maxBytes);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new GuardHttpError(400, ErrorCodes.invalidRequest, 'Request body aborted.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}

function contentTypeError(contentType: string | undefined): GuardHttpError | undefined {
  const [mime, ...params] = (contentType ?? '')
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  if (mime !== 'application/json') {
    return new GuardHttpError(
      415,
      ErrorCodes.unsupportedMediaType,
      'Content-Type must be application/json.',
      'invalid_request_error',
    );
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8') {
    return new GuardHttpError(415, ErrorCodes.unsupportedMediaType, 'Only the utf-8 charset is accepted.');
  }
  return undefined;
}

function tooLarge(req: GuardRequest, res: GuardResponse, next: Next, maxBytes: number): void {
  // Answer without buffering the rest, and close the connection so a client that keeps sending stops.
  res.setHeader('connection', 'close');
  req.resume();
  next(
    new GuardHttpError(413, ErrorCodes.bodyTooLarge, `Request body exceeds the limit of ${maxBytes} bytes.`),
  );
}

/** Decodes strict UTF-8, checks depth in one linear pass, then parses. Throws GuardHttpError 400. */
export function parseJson(raw: Buffer, maxDepth: number): unknown {
  if (!isUtf8(raw)) throw new GuardHttpError(400, ErrorCodes.invalidUtf8, 'Request body is not valid UTF-8.');
  // A leading byte-order mark is dropped, as the WHATWG decoder does (RFC 8259 §8.1 lets parsers ignore it).
  const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const text = raw.toString('utf8', bom);
  if (jsonDepth(text) > maxDepth) {
    throw new GuardHttpError(
      400,
      ErrorCodes.jsonTooDeep,
      `Request body nests arrays/objects deeper than ${maxDepth} levels.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardHttpError(400, ErrorCodes.invalidJson, 'Request body is not valid JSON.');
  }
}

/**
 * Maximum nesting of [ and { outside strings; malformed input is left to JSON.parse to report. Strings
 * (most of a chat request) are skipped with indexOf to their closing quote, one not preceded by an odd
 * number of backslashes: a character loop over them cost more than JSON.parse itself.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return max;
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** True when the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let k = at - 1;
  while (text.charCodeAt(k) === 0x5c) k--;
  return (at - 1 - k) % 2 === 1;
}
