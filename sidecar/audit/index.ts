import { createHash } from 'node:crypto';
import type { Logger } from '../../shared/logging.ts';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';

/** What the guard knows about one finished request; turned into one ECS audit line. */
export interface AuditEntry {
  requestId: string;
  keyId: string;
  method: string;
  /** Path without the query string (a query may carry secrets). */
  path: string;
  status: number;
  decision: string;
  durationNs: bigint;
  analysis: AnalysisRecord[];
  policyName?: string;
  policyHash?: string;
  promptSha256?: string;
  promptText?: string;
  completionText?: string;
  errorCode?: string;
  upstreamStatus?: number;
  role: 'input' | 'output';
}

export const AUDIT_EVENT_DATASET = 'bulwark.audit';

/** SHA-256 of the texts the model was asked to read, joined with NUL (which JSON strings cannot hide). */
export function promptDigest(texts: readonly string[]): string {
  const hash = createHash('sha256');
  texts.forEach((text, i) => {
    if (i > 0) hash.update('\u0000');
    hash.update(text, 'utf8');
  });
  return hash.digest('hex');
}

/**
 * One JSON line per request with Elastic Common Schema fields (https://www.elastic.co/guide/en/ecs/current/).
 * Prompt and completion text appear only when the caller passed them, which it does only when the policy
 * sets audit.logContent; otherwise the prompt is represented by its SHA-256.
 */
export function writeAudit(logger: Logger, entry: AuditEntry): void {
  const input = entry.analysis.find((a) => a.direction === 'input');
  const output = entry.analysis.filter((a) => a.direction === 'output');
  logger.info('guard request', {
    'event.kind': 'event',
    'event.category': ['web'],
    'event.dataset': AUDIT_EVENT_DATASET,
    'event.action': `guard-${entry.decision}`,
    'event.outcome': entry.status < 400 ? 'success' : 'failure',
    'event.duration': Number(entry.durationNs),
    'http.request.id': entry.requestId,
    'http.request.method': entry.method,
    'url.path': entry.path,
    'http.response.status_code': entry.status,
    'user.id': entry.keyId,
    ...(entry.errorCode ? { 'error.code': entry.errorCode } : {}),
    'bulwark.role': entry.role,
    'bulwark.decision': entry.decision,
    ...(entry.policyHash
      ? { 'bulwark.policy.name': entry.policyName, 'bulwark.policy.hash': entry.policyHash }
      : {}),
    ...(entry.upstreamStatus !== undefined ? { 'bulwark.upstream.status_code': entry.upstreamStatus } : {}),
    'bulwark.analysis': {
      ...(input ? { input } : {}),
      ...(output.length > 0 ? { output: mergeOutput(output) } : {}),
    },
    ...(entry.promptSha256 ? { 'bulwark.prompt.sha256': entry.promptSha256 } : {}),
    ...(entry.promptText !== undefined ? { 'bulwark.prompt.text': entry.promptText } : {}),
    ...(entry.completionText !== undefined ? { 'bulwark.completion.text': entry.completionText } : {}),
  });
}

/** Several outputs (choices, tool calls, streamed parts) as one record: max scores, union of findings. */
export function mergeOutput(records: readonly AnalysisRecord[]): AnalysisRecord {
  const merged: AnalysisRecord = {
    direction: 'output',
    scores: {},
    malicious: false,
    identifiedThreats: [],
    actions: {},
    errors: [],
    latencyMs: 0,
  };
  for (const r of records) {
    for (const [k, v] of Object.entries(r.scores)) merged.scores[k] = Math.max(merged.scores[k] ?? 0, v);
    merged.malicious ||= r.malicious;
    for (const t of r.identifiedThreats)
      if (!merged.identifiedThreats.includes(t)) merged.identifiedThreats.push(t);
    Object.assign(merged.actions, r.actions);
    for (const e of r.errors) if (!merged.errors.includes(e)) merged.errors.push(e);
    merged.latencyMs += r.latencyMs;
  }
  return merged;
}
