import { randomUUID } from 'node:crypto';
import {
  type GuardLocals,
  type GuardRequest,
  type GuardResponse,
  type Next,
  header as readHeader,
} from '../../locals.ts';

export interface RequestIdOptions {
  /** Header read from the client and echoed back. */
  header?: string;
  /** Makes a new id; defaults to a random UUID. */
  generate?: () => string;
}

// A client-chosen id ends up in logs: accept only short, plain ones so it cannot forge log content.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the client's x-request-id when safe) and starts its clock. */
export function requestId(options: RequestIdOptions = {}) {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  const generate = options.generate ?? randomUUID;
  return function requestIdMiddleware(req: GuardRequest, res: GuardResponse, next: Next): void {
    const given = readHeader(req, header);
    const id = given && SAFE_ID.test(given) ? given : generate();
    const initial: GuardLocals = {
      requestId: id,
      route: 'other',
      keyId: 'anonymous',
      analysis: [],
      startedAt: process.hrtime.bigint(),
    };
    res.locals = initial;
    res.setHeader(header, id);
    next();
  };
}
