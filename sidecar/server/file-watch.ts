import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface WatchOptions {
  path: string;
  /** Called with the file's new content after it settles; not called when the content is unchanged. */
  onChange(text: string): Promise<void> | void;
  onError(err: Error): void;
  /** Quiet period after the last event before re-reading (editors and kubelet write in several steps). */
  debounceMs?: number;
  /** Re-read this often anyway: inotify watches can be lost (e.g. on some overlay filesystems). */
  pollMs?: number;
}

export interface FileWatch {
  close(): void;
  /** Re-reads now (used by tests and on SIGHUP). */
  check(): Promise<void>;
}

/**
 * Watches a mounted file. Kubernetes ConfigMap and Secret volumes publish updates by swapping the
 * `..data` symlink in the volume's directory
 * (https://kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically),
 * so a watch on the file's inode would miss them: the directory is watched instead, and every event there
 * leads to a debounced re-read through the symlinks, compared by content hash.
 */
export function watchFile(initialText: string, options: WatchOptions): FileWatch {
  const debounceMs = options.debounceMs ?? 200;
  let lastHash = digest(initialText);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  async function check(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        let text: string;
        try {
          text = await readFile(options.path, 'utf8');
        } catch (err) {
          // Mid-swap the path can briefly dangle; the next event or poll re-reads.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.onError(err as Error);
          continue;
        }
        const hash = digest(text);
        if (hash === lastHash) continue;
        lastHash = hash;
        try {
          await options.onChange(text);
        } catch (err) {
          options.onError(err as Error);
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  };

  let watcher: FSWatcher | undefined;
  const dir = dirname(options.path);
  try {
    // Any entry may matter (`..data`, `..2024_...`, an editor's temp file); the content hash decides.
    watcher = watch(dir, { persistent: false }, () => schedule());
    watcher.on('error', (err) => options.onError(err));
  } catch (err) {
    options.onError(err as Error);
  }
  const poll = setInterval(() => void check(), options.pollMs ?? 10_000);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
