// @kubernetes/client-node 2.0.1 loads undici 8, which reads two Node 22 exports at import time
// (zlib.createZstdDecompress, worker_threads.markAsUncloneable). The API server never answers with the
// zstd content-encoding (https://www.rfc-editor.org/rfc/rfc9659) and we never structuredClone undici's
// objects, so stubs are enough. Import this before the client. Same stopgap as test/cluster's; delete
// both once the project runs on Node >= 22.19.
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
}
