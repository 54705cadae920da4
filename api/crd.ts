import { z } from 'zod';
import { GROUP, VERSION } from './v1alpha1/meta.ts';

type JsonSchema = { [key: string]: unknown };

const SAFE_INT_BOUND = Number.MAX_SAFE_INTEGER;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Turns zod's OpenAPI 3.0 output into a structural schema the API server accepts:
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 * Structural schemas forbid `additionalProperties: false` beside `properties` and need a type on every node,
 * so int-or-string unions become the `x-kubernetes-int-or-string` extension and nothing else.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const src = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === '$schema' || key === 'propertyNames' || key === 'id') continue;
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = key === 'default' || key === 'enum' ? value : toStructural(value);
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.anyOf;
    delete out.oneOf;
    delete out.type;
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    out.type = 'object';
    delete out.additionalProperties;
  }
  if (out.type === 'object' && isPlainObject(out.default)) {
    out.default = withNestedDefaults(out, out.default as JsonSchema);
  }
  if (out.type === 'integer') {
    const int32 = out.minimum === INT32_MIN || out.maximum === INT32_MAX;
    if (int32) out.format = 'int32';
    if (out.minimum === INT32_MIN || out.minimum === -SAFE_INT_BOUND) delete out.minimum;
    if (out.maximum === INT32_MAX || out.maximum === SAFE_INT_BOUND) delete out.maximum;
  }
  return out;
}

function isPlainObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The API server checks a default against the schema's CEL rules as written, without first applying the
 * defaults of its fields, so `default: {}` on an object whose rule reads `self.maxSurge` is refused.
 * Spelling the nested defaults out makes the default valid on its own and changes nothing for users.
 */
function withNestedDefaults(schema: JsonSchema, value: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...value };
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, child] of Object.entries(properties)) {
    if (out[key] === undefined && child.default !== undefined) out[key] = child.default;
    if (isPlainObject(out[key]) && child.type === 'object')
      out[key] = withNestedDefaults(child, out[key] as JsonSchema);
  }
  return out;
}

export function openApiSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    reused: 'inline',
    cycles: 'throw',
  });
  return toStructural(json) as JsonSchema;
}

export interface CrdDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

export function buildCrd(def: CrdDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'bulwark', 'app.kubernetes.io/part-of': 'bulwark' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['bulwark'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: openApiSchema(def.spec),
                status: openApiSchema(def.status),
              },
            },
          },
        },
      ],
    },
  };
}
