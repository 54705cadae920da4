/**
 * Scores of recently seen texts, so a conversation's earlier turns are not classified again.
 *
 * A chat request carries the whole conversation: its system prompt and every earlier turn, each already
 * scored when it was new. Without a cache the classifier's cost per request grows with the conversation
 * (and every turn that once took the cascade's slow path takes it again); with one, only the new turns
 * cost anything. Keys are SHA-256 digests, so the cache keeps no prompt text. A model always gives a text
 * the same score, and each loaded classifier has its own cache, so a policy that changes the model starts
 * empty.
 */
import { createHash } from 'node:crypto';
import type { ClassifierUsage, TextClassifier } from './types.ts';

const digest = (text: string) => createHash('sha256').update(text).digest('base64');

/**
 * `inner` with the scores of its last `entries` distinct texts remembered (least recently used evicted
 * first). Texts in flight are shared: concurrent requests with the same system prompt classify it once. A
 * failed call is not remembered.
 */
export function withScoreCache(inner: TextClassifier, entries: number): TextClassifier {
  if (!Number.isInteger(entries) || entries < 0)
    throw new Error(`score cache entries ${entries} must be a non-negative integer`);
  if (entries === 0) return inner;
  const scores = new Map<string, Promise<number>>();
  let asked = 0;
  let scored = 0;

  const remember = (key: string, score: Promise<number>) => {
    scores.set(key, score);
    if (scores.size > entries) scores.delete(scores.keys().next().value as string);
    score.catch(() => {
      if (scores.get(key) === score) scores.delete(key);
    });
  };

  return {
    name: inner.name,
    threshold: inner.threshold,
    classify(texts) {
      asked += texts.length;
      const keys = texts.map(digest);
      const pending = new Map<string, { at: number; score?: Promise<number> }>();
      const missedTexts: string[] = [];
      const found = keys.map((key, i) => {
        const known = scores.get(key);
        if (known) {
          // Map order is insertion order: re-inserting makes this key the most recently used.
          scores.delete(key);
          scores.set(key, known);
          return known;
        }
        if (!pending.has(key)) {
          pending.set(key, { at: missedTexts.length });
          missedTexts.push(texts[i]!);
        }
        return undefined;
      });
      if (missedTexts.length > 0) {
        scored += missedTexts.length;
        const fresh = inner.classify(missedTexts);
        for (const [key, miss] of pending) {
          miss.score = fresh.then((s) => s[miss.at]!);
          remember(key, miss.score);
        }
      }
      return Promise.all(found.map((score, i) => score ?? pending.get(keys[i]!)!.score!));
    },
    ...(inner.failure ? { failure: () => inner.failure?.() } : {}),
    usage: (): ClassifierUsage => ({
      scored,
      secondStage: inner.usage?.().secondStage ?? 0,
      cached: asked - scored,
    }),
    close: () => inner.close(),
  };
}
