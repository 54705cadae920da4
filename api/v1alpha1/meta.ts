import { z } from 'zod';

export const GROUP = 'bulwark.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * A cross-field rule stated once and enforced twice: by the API server as a CEL
 * `x-kubernetes-validations` entry, and offline (bulwark validate, the operator, the guard)
 * by the TypeScript predicate. Both see the object after defaulting, so the two agree.
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules
 */
export interface CrossFieldRule<T> {
  cel: string;
  message: string;
  /** Path below the object the rule sits on, reported to the user, e.g. `maxSurge` or `params.patterns`. */
  field?: string;
  holds: (value: T) => boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the rule list is typed by the schema it is attached to.
export function withRules<S extends z.ZodType<any>>(schema: S, rules: CrossFieldRule<z.output<S>>[]): S {
  const refined = schema.superRefine((value, ctx) => {
    for (const rule of rules) {
      if (!rule.holds(value)) {
        ctx.addIssue({
          code: 'custom',
          message: rule.message,
          path: rule.field ? rule.field.split('.') : [],
        });
      }
    }
  }) as S;
  return refined.meta({
    'x-kubernetes-validations': rules.map((rule) => ({
      rule: rule.cel,
      message: rule.message,
      ...(rule.field ? { fieldPath: `.${rule.field}` } : {}),
    })),
  }) as S;
}

/** Marks a free-form object whose fields the API server keeps verbatim (core types we pass through). */
export function passthroughObject(description: string) {
  return z
    .record(z.string(), z.unknown())
    .meta({ description, 'x-kubernetes-preserve-unknown-fields': true });
}
