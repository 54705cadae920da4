import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import {
  API_VERSION,
  GUARDRAIL_POLICY_KIND,
  GuardrailPolicy,
  LLM_DEPLOYMENT_KIND,
  LlmDeployment,
} from '../api/v1alpha1/index.ts';

export interface ManifestProblem {
  /** Dotted field path from the document root, e.g. `spec.rollout.maxSurge`; empty for the whole document. */
  path: string;
  message: string;
}

export interface ManifestResult {
  index: number;
  kind: string;
  name: string;
  skipped: boolean;
  problems: ManifestProblem[];
  /** The parsed object with defaults applied, when valid. */
  value?: LlmDeployment | GuardrailPolicy;
}

const SCHEMAS: Record<string, z.ZodType<LlmDeployment | GuardrailPolicy>> = {
  [LLM_DEPLOYMENT_KIND]: LlmDeployment,
  [GUARDRAIL_POLICY_KIND]: GuardrailPolicy,
};

export function issuesToProblems(issues: z.core.$ZodIssue[]): ManifestProblem[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Validates every Bulwark document in a (multi-document) YAML text; other kinds are marked skipped. */
export function validateManifests(text: string): ManifestResult[] {
  const results: ManifestResult[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.contents === null) return;
    const base = { index, kind: '?', name: '?', skipped: false };
    if (doc.errors.length > 0) {
      results.push({
        ...base,
        problems: doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message}` })),
      });
      return;
    }
    const object = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | null;
    const kind = typeof object?.kind === 'string' ? object.kind : '?';
    const name = object?.metadata?.name ?? '?';
    const schema = SCHEMAS[kind];
    if (!schema || object?.apiVersion?.split('/')[0] !== API_VERSION.split('/')[0]) {
      results.push({ ...base, kind, name, skipped: true, problems: [] });
      return;
    }
    const parsed = schema.safeParse(object);
    results.push(
      parsed.success
        ? { ...base, kind, name, problems: [], value: parsed.data }
        : { ...base, kind, name, problems: issuesToProblems(parsed.error.issues) },
    );
  });
  return results;
}
