import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ScannerEntry } from '../../../api/v1alpha1/index.ts';
import type { Scanner } from '../types.ts';

/**
 * Checks that a response is the JSON the caller asked for: against params.schema when the policy pins
 * one, else against the request's `response_format` (OpenAI: `{type: "json_schema", json_schema:
 * {schema}}` or `{type: "json_object"}`). Requests that asked for neither are not checked. Validation is
 * ajv (JSON Schema 2020-12, https://ajv.js.org/); unknown keywords and formats are tolerated because
 * OpenAI's structured-output schemas use a few.
 */
const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });

/** Request schemas repeat across requests of one application; compile each once, within a bound. */
const CACHE_LIMIT = 256;
const cache = new Map<string, ValidateFunction>();

export class InvalidSchemaError extends Error {}

export function compileSchema(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema as object);
    } catch (err) {
      throw new InvalidSchemaError(`invalid JSON Schema: ${(err as Error).message}`);
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, validate);
  }
  return validate;
}

type Expectation = { kind: 'none' } | { kind: 'object' } | { kind: 'schema'; validate: ValidateFunction };

export function expectationFromResponseFormat(format: unknown): Expectation {
  if (typeof format !== 'object' || format === null) return { kind: 'none' };
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } };
  if (f.type === 'json_object') return { kind: 'object' };
  if (
    f.type === 'json_schema' &&
    typeof f.json_schema?.schema === 'object' &&
    f.json_schema.schema !== null
  ) {
    return { kind: 'schema', validate: compileSchema(f.json_schema.schema) };
  }
  return { kind: 'none' };
}

export interface JsonSchemaOptions {
  schema?: Record<string, unknown> | undefined;
}

export function jsonSchema(options: JsonSchemaOptions = {}): Scanner {
  const pinned = options.schema ? compileSchema(options.schema) : undefined;
  return {
    type: 'jsonSchema',
    scope: 'complete',
    // Validity is a property of the whole response: a streamed response is held until it is complete.
    maxFindingLength: Number.POSITIVE_INFINITY,
    scan(text, ctx) {
      const expect: Expectation = pinned
        ? { kind: 'schema', validate: pinned }
        : expectationFromResponseFormat(ctx.state.responseFormat);
      if (expect.kind === 'none') return { score: 0, findings: [] };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { score: 1, findings: [{ start: 0, end: text.length, kind: 'json:invalid' }] };
      }
      if (expect.kind === 'object') {
        const ok = typeof value === 'object' && value !== null && !Array.isArray(value);
        return ok
          ? { score: 0, findings: [] }
          : { score: 1, findings: [{ start: 0, end: text.length, kind: 'json:not-object' }] };
      }
      if (expect.validate(value)) return { score: 0, findings: [] };
      const first = expect.validate.errors?.[0];
      const where = first ? `${first.instancePath || '/'} ${first.keyword}` : 'schema';
      return { score: 1, findings: [{ start: 0, end: text.length, kind: `json:${where}` }] };
    },
  };
}

export function createJsonSchema(entry: ScannerEntry): Scanner {
  return jsonSchema({ schema: entry.params?.schema });
}
