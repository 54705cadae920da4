import { createHash } from 'node:crypto';

/**
 * The replies this guard process returned to clients, so that a later request repeating one as an
 * assistant turn is recognised as the model's own words rather than text a client wrote.
 *
 * Only SHA-256 digests are kept, never the text. Surrounding whitespace is ignored because chat clients
 * commonly trim the reply they store. A reply counts only for the client it went to (`scope`, the API key
 * id): one client cannot pass off what the model wrote for another as its own conversation. Recency decides
 * what is forgotten: the reply a conversation repeats is the one it got last, and every recognition renews it.
 */
export class ReplyMemory {
  private readonly digests = new Set<string>();

  get size(): number {
    return this.digests.size;
  }

  /**
   * Remembers `texts`, forgetting the least recently used beyond `capacity`. Capacity comes with every
   * call because it is the policy's, and a policy reload may change it.
   */
  remember(scope: string, texts: Iterable<string>, capacity: number): void {
    for (const text of texts) {
      const key = digest(scope, text);
      if (key === undefined) continue;
      this.digests.delete(key);
      this.digests.add(key);
    }
    this.forgetBeyond(capacity);
  }

  /** True when `text` is one of the last `capacity` replies this process returned to `scope`. */
  recognises(scope: string, text: string, capacity: number): boolean {
    this.forgetBeyond(capacity);
    const key = digest(scope, text);
    if (key === undefined || !this.digests.has(key)) return false;
    // A Set iterates in insertion order: re-adding makes this the most recently used.
    this.digests.delete(key);
    this.digests.add(key);
    return true;
  }

  private forgetBeyond(capacity: number): void {
    for (const key of this.digests) {
      if (this.digests.size <= capacity) break;
      this.digests.delete(key);
    }
  }
}

function digest(scope: string, text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return createHash('sha256').update(scope).update('\0').update(trimmed).digest('base64');
}
