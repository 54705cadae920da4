export * from './common.ts';
export * from './guardrailpolicy.ts';
export * from './llmdeployment.ts';
export * from './meta.ts';

/** Condition types, shared by the operator (writes) and tests/CLI (read). */
export const ConditionType = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  PolicyValid: 'PolicyValid',
  /** On GuardrailPolicy. */
  Valid: 'Valid',
} as const;
