import { ErrorCodes, GuardHttpError } from '../../errors.ts';
import { type GuardRequest, type GuardResponse, header, locals, type Next } from '../../locals.ts';

export interface JsonBodyOptions {
  /** Larger bodies are refused with 413 before they are parsed (or, without Content-Length, while read). */
  maxBytes: number;
  /** Deepest allowed nesting of arrays and objects; deeper documents are refused before JSON.parse. */
  maxDepth: number;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads and validates a JSON request body: content type, size, UTF-8 (RFC 8259 §8.1 requires it), nesting
 * depth and syntax. Leaves the raw bytes and the parsed value on res.locals; the raw bytes are forwarded
 * unchanged when no scanner rewrites anything.
 */
export function jsonBody(options: JsonBodyOptions) {
  const { maxBytes, maxDepth } = options;
  return function jsonBodyMiddleware(req: GuardRequest, res: GuardResponse, next: Next): void {
    const type = (header(req, 'content-type') ?? '').toLowerCase();
    const [mime, ...params] = type.split(';').map((s) => s.trim());
    if (mime !== 'application/json') {
      next(
        new GuardHttpError(
          415,
          ErrorCodes.unsupportedMediaType,
          'Content-Type must be application/json.',
          'invalid_request_error',
        ),
      );
      return;
    }
    const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
    if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8') {
      next(new GuardHttpError(415, ErrorCodes.unsupportedMediaType, 'Only the utf-8 charset is accepted.'));
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
  let text: string;
  try {
    text = fatalUtf8.decode(raw);
  } catch {
    throw new GuardHttpError(400, ErrorCodes.invalidUtf8, 'Request body is not valid UTF-8.');
  }
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

/** Maximum nesting of [ and { outside strings; malformed input is left to JSON.parse to report. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
