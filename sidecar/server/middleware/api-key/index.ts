import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, GuardHttpError } from '../../errors.ts';
import { type GuardRequest, type GuardResponse, header, locals, type Next } from '../../locals.ts';

/** Client API keys as SHA-256 digests by id; plaintext keys are dropped as soon as the file is parsed. */
export interface ApiKeyStore {
  readonly entries: readonly { id: string; digest: Buffer }[];
}

export class ApiKeyFileError extends Error {}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses the mounted Secret file: one `id:key` per line; blank lines and `#` comments are skipped. */
export function parseApiKeys(text: string): ApiKeyStore {
  const entries: { id: string; digest: Buffer }[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const id = trimmed.slice(0, colon);
    const key = trimmed.slice(colon + 1);
    // Never quote the line: it holds a key.
    if (colon <= 0 || !ID.test(id)) {
      throw new ApiKeyFileError(`line ${index + 1}: expected id:key with an id of [A-Za-z0-9._-]`);
    }
    if (key.length < 8) throw new ApiKeyFileError(`line ${index + 1}: key for ${id} is shorter than 8 chars`);
    if (seen.has(id)) throw new ApiKeyFileError(`line ${index + 1}: duplicate id ${id}`);
    seen.add(id);
    entries.push({ id, digest: sha256(key) });
  });
  if (entries.length === 0) throw new ApiKeyFileError('no keys in file');
  return { entries };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Returns the id of the matching key or undefined; compares every entry in constant time. */
export function matchApiKey(store: ApiKeyStore, presented: string): string | undefined {
  const digest = sha256(presented);
  let found: string | undefined;
  for (const entry of store.entries) {
    // No early exit: the time taken does not reveal which entry (or whether any) matched.
    if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.id;
  }
  return found;
}

export interface ApiKeyAuthOptions {
  /** Current key store (re-read when the Secret changes); undefined turns key checks off. */
  keys: () => ApiKeyStore | undefined;
}

/** Bearer-token check against the key store; sets res.locals.keyId (the id, never the key). */
export function apiKeyAuth(options: ApiKeyAuthOptions) {
  return function apiKeyAuthMiddleware(req: GuardRequest, res: GuardResponse, next: Next): void {
    const store = options.keys();
    if (!store) {
      next();
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header(req, 'authorization') ?? '');
    const id = match ? matchApiKey(store, match[1]!) : undefined;
    if (!id) {
      next(
        new GuardHttpError(
          401,
          ErrorCodes.invalidApiKey,
          match ? 'Incorrect API key provided.' : 'Missing API key: send Authorization: Bearer <key>.',
          'authentication_error',
          null,
          { 'www-authenticate': 'Bearer' },
        ),
      );
      return;
    }
    locals(res).keyId = id;
    next();
  };
}
