import type { Response } from 'express';
import type { AnalysisRecord } from '../../shared/pipeline/types.ts';

/** Decision recorded for metrics and the audit line; bounded set, used as a label value. */
export type Decision = 'allowed' | 'redacted' | 'flagged' | 'blocked' | 'rejected' | 'error';

/** What middleware and handlers learn about one request, kept on res.locals. */
export interface GuardLocals {
  requestId: string;
  /** Route template (bounded cardinality), e.g. /v1/chat/completions; set by each route. */
  route: string;
  /** API key id (never the key); `anonymous` when key checks are off. */
  keyId: string;
  rawBody?: Buffer;
  body?: unknown;
  decision?: Decision;
  analysis: AnalysisRecord[];
  policyHash?: string;
  /** SHA-256 of every text the model was asked to read, hex. */
  promptSha256?: string;
  /** Plaintext, only when the policy's audit.logContent is true. */
  promptText?: string;
  completionText?: string;
  upstreamStatus?: number;
  errorCode?: string;
  startedAt: bigint;
}

export function locals(res: Response): GuardLocals {
  return res.locals as GuardLocals;
}
