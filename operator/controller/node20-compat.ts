// @kubernetes/client-node 2.0.1 loads undici 8, which needs Node 22: at import time it reads
// zlib.createZstdDecompress and worker_threads.markAsUncloneable, and every fetch calls
// Promise.withResolvers (ES2024). The API server never answers with the zstd content-encoding
// (https://www.rfc-editor.org/rfc/rfc9659) and we never structuredClone undici's objects, so stubs are
// enough; the withResolvers polyfill is the spec's behaviour. Import this before the client. Same
// stopgap as test/cluster's; delete both once the project runs on Node >= 22.19.
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
