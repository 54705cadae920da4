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

/** triple-beam's keys (winston's info object): the level to filter on and the finished line. */
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');
const AUDIT_MESSAGE = 'guard request';

/** Writes one audit line made of these fields (plus the logger's envelope). */
export type AuditSink = (fields: Record<string, unknown>) => void;

type Transport = Logger['transports'][number] & { log?: (info: unknown, next: () => void) => void };

/**
 * The audit destination of a winston logger. Audit lines are the guard's most frequent log line, and
 * winston's format pipeline (timestamp, ECS renaming, safe-stable-stringify, a Transform stream per
 * line) cost more than the request's scanning. So the line is built here with one JSON.stringify and
 * handed to the logger's transports directly (winston's documented `Transport#log(info, callback)`
 * contract: https://github.com/winstonjs/winston#adding-custom-transports). The envelope — every field
 * the logger's format adds except the timestamp — is taken once from the logger's own format, so the
 * line holds the same fields and values `logger.info` would write (sidecar/audit/index.test.ts checks
 * that); only the key order differs (winston's json format sorts keys, JSON.stringify keeps ours).
 * Loggers this cannot mirror (a transport with its own format, no @timestamp) get plain `logger.info`.
 */
export function createAuditSink(logger: Logger): AuditSink {
  const slow: AuditSink = (fields) => logger.info(AUDIT_MESSAGE, fields);
  const transports = logger.transports as Transport[];
  if (transports.length === 0 || transports.some((t) => t.format || typeof t.log !== 'function')) return slow;
  let envelope: Record<string, unknown>;
  try {
    const info = logger.format.transform(
      { ...(logger.defaultMeta as object), level: 'info', message: AUDIT_MESSAGE, [LEVEL]: 'info' },
      {},
    ) as Record<string | symbol, unknown> | false;
    envelope = JSON.parse(String(info ? info[MESSAGE] : ''));
  } catch {
    return slow;
  }
  if (typeof envelope['@timestamp'] !== 'string') return slow;
  const constant = Object.keys(envelope)
    .filter((k) => k !== '@timestamp')
    .map((k) => `,${JSON.stringify(k)}:${JSON.stringify(envelope[k])}`)
    .join('');
  const levels = logger.levels;
  const info = levels.info ?? 2;
  // logger.isInfoEnabled() with the transports taken above: winston's own builds a transports array
  // on every call.
  const enabled = () => {
    const configured = levels[logger.level];
    if (configured === undefined) return false;
    for (const t of transports)
      if ((t.level === undefined ? configured : (levels[t.level] ?? configured)) >= info) return true;
    return false;
  };
  return (fields) => {
    if (!enabled()) return;
    const body = JSON.stringify(fields);
    const line = `{"@timestamp":"${new Date().toISOString()}"${constant}${body.length > 2 ? `,${body.slice(1)}` : '}'}`;
    const entry = { level: 'info', message: AUDIT_MESSAGE, [LEVEL]: 'info', [MESSAGE]: line };
    for (const t of transports) {
      if (t.silent || (t.level !== undefined && (levels[t.level] ?? 0) < info)) continue;
      t.log!(entry, noop);
    }
  };
}

const noop = () => {};

/**
 * One JSON line per request with Elastic Common Schema fields (https://www.elastic.co/guide/en/ecs/current/).
 * Prompt and completion text appear only when the caller passed them, which it does only when the policy
 * sets audit.logContent; otherwise the prompt is represented by its SHA-256.
 */
export function writeAudit(sink: AuditSink, entry: AuditEntry): void {
  const fields: Record<string, unknown> = {
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
  };
  if (entry.errorCode) fields['error.code'] = entry.errorCode;
  fields['bulwark.role'] = entry.role;
  fields['bulwark.decision'] = entry.decision;
  if (entry.policyHash) {
    fields['bulwark.policy.name'] = entry.policyName;
    fields['bulwark.policy.hash'] = entry.policyHash;
  }
  if (entry.upstreamStatus !== undefined) fields['bulwark.upstream.status_code'] = entry.upstreamStatus;
  const input = entry.analysis.find((a) => a.direction === 'input');
  const output = entry.analysis.filter((a) => a.direction === 'output');
  const analysis: Record<string, AnalysisRecord> = {};
  if (input) analysis.input = input;
  if (output.length > 0) analysis.output = output.length === 1 ? output[0]! : mergeOutput(output);
  fields['bulwark.analysis'] = analysis;
  if (entry.promptSha256) fields['bulwark.prompt.sha256'] = entry.promptSha256;
  if (entry.promptText !== undefined) fields['bulwark.prompt.text'] = entry.promptText;
  if (entry.completionText !== undefined) fields['bulwark.completion.text'] = entry.completionText;
  sink(fields);
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
    if (r.scannerLatencyMs) {
      merged.scannerLatencyMs ??= {};
      const into = merged.scannerLatencyMs;
      for (const [k, v] of Object.entries(r.scannerLatencyMs)) into[k] = (into[k] ?? 0) + v;
    }
  }
  return merged;
}
