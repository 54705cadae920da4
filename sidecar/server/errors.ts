import type { ServerResponse } from 'node:http';

/**
 * OpenAI-shaped error bodies (https://platform.openai.com/docs/guides/error-codes): SDKs map the status to
 * an exception class (400 → BadRequestError, 429 → RateLimitError, ...) and expose `code` and `param`.
 */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'upstream_error';

export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; code: string | null; param: string | null };
}

/** An error that ends the request with an OpenAI-shaped body; thrown by middleware and handlers. */
export class GuardHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: OpenAiErrorType = status >= 500 ? 'server_error' : 'invalid_request_error',
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GuardHttpError';
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** Error codes, exported so tests and clients can match on them rather than on messages. */
export const ErrorCodes = {
  guardrailViolation: 'guardrail_violation',
  bodyTooLarge: 'request_too_large',
  invalidJson: 'invalid_json',
  jsonTooDeep: 'json_too_deep',
  invalidUtf8: 'invalid_utf8',
  unsupportedMediaType: 'unsupported_media_type',
  invalidRequest: 'invalid_request',
  unsupportedInput: 'unsupported_input',
  invalidApiKey: 'invalid_api_key',
  rateLimited: 'rate_limit_exceeded',
  overloaded: 'overloaded',
  upstreamTimeout: 'upstream_timeout',
  upstreamUnavailable: 'upstream_unavailable',
  upstreamInvalidResponse: 'upstream_invalid_response',
  scannerError: 'scanner_error',
  notFound: 'not_found',
  internal: 'internal_error',
} as const;

/** Writes the error as the response (Node's API only: hot routes have no express response methods). */
export function sendError(res: ServerResponse, err: GuardHttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name in err.headers) res.setHeader(name, err.headers[name]!);
  sendJson(res, err.status, err.body());
}

/** A JSON response, with the headers express's res.json would set (minus the disabled ETag). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Blocked by the policy: names the scanners that fired and never echoes the text they matched. */
/** At most this many places are named per scanner in the error message (the audit line has them all). */
const PLACES_IN_MESSAGE = 3;

/**
 * The 400 a blocked request or response gets. It names the scanners, and for input where they fired
 * (`promptInjection in messages[0].content`), so a client can tell its own system prompt was blocked from
 * a user's message; never the text itself.
 */
export function guardrailViolation(
  direction: 'input' | 'output',
  scanners: string[],
  firedIn?: Readonly<Record<string, readonly string[]>>,
): GuardHttpError {
  const what = direction === 'input' ? 'The request' : "The model's response";
  const named = scanners.map((scanner) => {
    const places = firedIn?.[scanner];
    if (!places || places.length === 0) return scanner;
    const more = places.length > PLACES_IN_MESSAGE ? ` and ${places.length - PLACES_IN_MESSAGE} more` : '';
    return `${scanner} in ${places.slice(0, PLACES_IN_MESSAGE).join(', ')}${more}`;
  });
  const names = named.length > 0 ? named.join('; ') : 'policy';
  return new GuardHttpError(
    400,
    ErrorCodes.guardrailViolation,
    `${what} was blocked by the guardrail policy (scanners: ${names}).`,
  );
}
