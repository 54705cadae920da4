// Stopgap so @kubernetes/client-node 2.0.1 works on Node 20. It depends on undici 8, which declares
// Node >= 22.19 and uses three things Node 20 lacks:
// - zlib.createZstdDecompress, read while loading, for the `zstd` content-encoding
//   (https://www.rfc-editor.org/rfc/rfc9659). The Kubernetes API server never answers with zstd.
// - worker_threads.markAsUncloneable, called while loading; it only tightens structuredClone of
//   undici's Cache objects, which we never clone.
// - Promise.withResolvers (ES2024), used by every fetch; the polyfill is the spec's behaviour.
// Import this before anything that loads @kubernetes/client-node. Delete it once the project runs on
// Node >= 22.19 (or pins an undici 7 for the client). One copy for the operator, scripts and tests.
import wt from 'node:worker_threads';
import zlib from 'node:zlib';

const [major = 0] = process.versions.node.split('.').map(Number);

if (major < 22) {
  const patchable = zlib as unknown as Record<string, unknown>;
  if (typeof patchable.createZstdDecompress !== 'function') {
    patchable.createZstdDecompress = () => {
      throw new Error('zstd content-encoding needs Node >= 22.15');
    };
  }
  const threads = wt as unknown as Record<string, unknown>;
  if (typeof threads.markAsUncloneable !== 'function') {
    threads.markAsUncloneable = () => {};
  }
  const promise = Promise as unknown as Record<string, unknown>;
  if (typeof promise.withResolvers !== 'function') {
    promise.withResolvers = <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const p = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: p, resolve, reject };
    };
  }
}
