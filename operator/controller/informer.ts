// An informer: list, then watch from the list's resourceVersion, keeping a local cache the reconciler
// reads instead of the API server (client-go's Reflector + Store, https://pkg.go.dev/k8s.io/client-go/tools/cache).
// - A watch the server ends normally is resumed from the last resourceVersion (bookmarks keep it fresh).
// - 410 Gone (the resourceVersion was compacted) means relist.
// - Any other failure restarts the list/watch after an exponential, jittered backoff.
// - Every relist period the informer relists anyway and diffs the result against the cache, so a lost
//   event cannot leave the cache wrong forever.
// Cached objects are frozen: handlers and the reconciler must copy before changing anything.
import type { Logger } from '../../shared/logging.ts';
import { ApiError, isGone, type KObject, type KubeClient, type Resource, resourceName } from './kube.ts';

export interface EventHandlers {
  add?(obj: KObject): void;
  update?(oldObj: KObject, newObj: KObject): void;
  delete?(obj: KObject): void;
}

export interface InformerOptions {
  client: KubeClient;
  resource: Resource;
  /** Namespaces to watch, one list/watch each; undefined watches all namespaces with one. */
  namespaces?: readonly string[];
  labelSelector?: string;
  /** Cache only metadata (PartialObjectMetadata). */
  metadataOnly?: boolean;
  /**
   * Rewrites each object before it is cached (client-go's SetTransform), e.g. to keep digests of Secret
   * values instead of the values. Handlers see the transformed object.
   */
  transform?: (obj: KObject) => KObject;
  /** Mean time between full relists; each reflector jitters it by ±25 %. */
  relistPeriodMs?: number;
  /** Bounds for the server-side watch timeout, picked at random like client-go does. */
  watchTimeoutSeconds?: [number, number];
  backoff?: { baseMs: number; maxMs: number };
  log: Logger;
  /** Called when a list or watch fails, for the metrics. */
  onError?: (resource: string, err: unknown) => void;
}

const key = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

export class Informer {
  readonly resource: Resource;
  readonly #opts: InformerOptions;
  /** namespace ('' for cluster-scoped) → name → object */
  readonly #store = new Map<string, Map<string, KObject>>();
  readonly #handlers: EventHandlers[] = [];
  readonly #reflectors: Reflector[];
  #started = false;

  constructor(opts: InformerOptions) {
    this.#opts = opts;
    this.resource = opts.resource;
    const scopes = opts.namespaces && opts.resource.namespaced ? [...opts.namespaces] : [undefined];
    this.#reflectors = scopes.map((ns) => new Reflector(this, opts, ns));
  }

  get name(): string {
    return resourceName(this.resource);
  }

  on(handlers: EventHandlers): void {
    this.#handlers.push(handlers);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const r of this.#reflectors) r.run();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#reflectors.map((r) => r.stop()));
  }

  hasSynced(): boolean {
    return this.#reflectors.every((r) => r.synced);
  }

  /** Resolves once every namespace has been listed; rejects if `signal` aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.#reflectors.map((r) => r.firstSync));
    signal?.throwIfAborted();
  }

  /** Seconds since any reflector last had a working watch; 0 when all are fine. */
  unhealthyForSeconds(now = Date.now()): number {
    const since = Math.min(...this.#reflectors.map((r) => r.failingSince ?? now));
    return (now - since) / 1000;
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.#store.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): KObject[] {
    if (namespace !== undefined) return [...(this.#store.get(namespace)?.values() ?? [])];
    const all: KObject[] = [];
    for (const m of this.#store.values()) all.push(...m.values());
    return all;
  }

  size(): number {
    let n = 0;
    for (const m of this.#store.values()) n += m.size;
    return n;
  }

  /** @internal: the reflector's view of the store. */
  upsert(obj: KObject): void {
    const ns = obj.metadata.namespace ?? '';
    let m = this.#store.get(ns);
    if (!m) {
      m = new Map();
      this.#store.set(ns, m);
    }
    const old = m.get(obj.metadata.name);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    deepFreeze(obj);
    m.set(obj.metadata.name, obj);
    for (const h of this.#handlers) {
      try {
        if (old) h.update?.(old, obj);
        else h.add?.(obj);
      } catch (err) {
        this.#opts.log.error('informer handler failed', { err: String(err), resource: this.name });
      }
    }
  }

  /** @internal */
  remove(obj: KObject): void {
    const ns = obj.metadata.namespace ?? '';
    const m = this.#store.get(ns);
    const old = m?.get(obj.metadata.name);
    if (!m || !old) return;
    m.delete(obj.metadata.name);
    if (m.size === 0) this.#store.delete(ns);
    for (const h of this.#handlers) {
      try {
        h.delete?.(old);
      } catch (err) {
        this.#opts.log.error('informer handler failed', { err: String(err), resource: this.name });
      }
    }
  }

  /** @internal: replaces everything in `namespace` (all when undefined) with a fresh list. */
  replace(namespace: string | undefined, items: KObject[]): void {
    const fresh = new Set(items.map((o) => key(o.metadata.namespace, o.metadata.name)));
    const scope = namespace === undefined ? [...this.#store.values()] : [this.#store.get(namespace)];
    for (const m of scope) {
      for (const obj of [...(m?.values() ?? [])]) {
        if (!fresh.has(key(obj.metadata.namespace, obj.metadata.name))) this.remove(obj);
      }
    }
    for (const obj of items) this.upsert(obj);
  }
}

class Reflector {
  synced = false;
  /** When the list/watch started failing; undefined while it works. */
  failingSince: number | undefined;
  readonly firstSync: Promise<void>;
  #resolveSync!: () => void;
  readonly #abort = new AbortController();
  #watchAbort: AbortController | undefined;
  #done: Promise<void> = Promise.resolve();
  #resourceVersion = '';
  #nextRelist = 0;

  constructor(
    readonly informer: Informer,
    readonly opts: InformerOptions,
    readonly namespace: string | undefined,
  ) {
    this.firstSync = new Promise((resolve) => {
      this.#resolveSync = resolve;
    });
  }

  run(): void {
    this.#done = this.#loop();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#watchAbort?.abort();
    await this.#done;
  }

  get #where(): Record<string, string> {
    return {
      resource: resourceName(this.opts.resource),
      ...(this.namespace ? { 'k8s.namespace': this.namespace } : {}),
    };
  }

  async #loop(): Promise<void> {
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 800, maxMs: 30_000 };
    const relistMs = this.opts.relistPeriodMs ?? 30 * 60_000;
    const [minTimeout, maxTimeout] = this.opts.watchTimeoutSeconds ?? [300, 600];
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      try {
        if (!this.#resourceVersion || Date.now() >= this.#nextRelist) {
          const list = await this.opts.client.list(this.opts.resource, {
            ...(this.namespace ? { namespace: this.namespace } : {}),
            ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
            ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
            signal: this.#abort.signal,
          });
          this.informer.replace(
            this.namespace,
            list.items.map((o) => this.#complete(o)),
          );
          this.#resourceVersion = list.metadata.resourceVersion ?? '';
          this.#nextRelist = Date.now() + relistMs * (0.75 + Math.random() * 0.5);
          if (!this.synced) {
            this.synced = true;
            this.#resolveSync();
          }
        }
        this.failingSince = undefined;
        failures = 0;
        const untilRelist = Math.max(1, Math.ceil((this.#nextRelist - Date.now()) / 1000));
        const timeoutSeconds = Math.min(
          untilRelist,
          Math.floor(minTimeout + Math.random() * (maxTimeout - minTimeout)),
        );
        await this.#watch(timeoutSeconds);
      } catch (err) {
        if (this.#abort.signal.aborted) break;
        if (isGone(err)) {
          this.#resourceVersion = '';
          continue;
        }
        failures++;
        this.failingSince ??= Date.now();
        this.opts.onError?.(resourceName(this.opts.resource), err);
        const delay = Math.min(baseMs * 2 ** (failures - 1), maxMs) * (0.5 + Math.random() / 2);
        this.opts.log.warn('list/watch failed; retrying', {
          ...this.#where,
          err: err instanceof Error ? err.message : String(err),
          retryInMs: Math.round(delay),
        });
        await sleep(delay, this.#abort.signal);
      }
    }
  }

  async #watch(timeoutSeconds: number): Promise<void> {
    const watchAbort = new AbortController();
    this.#watchAbort = watchAbort;
    const onStop = () => watchAbort.abort();
    this.#abort.signal.addEventListener('abort', onStop, { once: true });
    // The server closes the watch after timeoutSeconds; if the connection died silently, we do.
    const watchdog = setTimeout(() => watchAbort.abort(), (timeoutSeconds + 30) * 1000);
    watchdog.unref();
    try {
      await this.opts.client.watch(
        this.opts.resource,
        {
          ...(this.namespace ? { namespace: this.namespace } : {}),
          ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
          ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
          resourceVersion: this.#resourceVersion,
          timeoutSeconds,
          signal: watchAbort.signal,
        },
        (event) => {
          switch (event.type) {
            case 'ADDED':
            case 'MODIFIED':
              this.informer.upsert(this.#complete(event.object));
              break;
            case 'DELETED':
              this.informer.remove(this.#complete(event.object));
              break;
            case 'BOOKMARK':
              break;
            case 'ERROR': {
              const status = event.object as unknown as { code?: number; reason?: string; message?: string };
              throw new ApiError(
                status.code ?? 500,
                status.reason ?? 'Error',
                status.message ?? 'watch error',
              );
            }
          }
          const rv = event.object?.metadata?.resourceVersion;
          if (rv) this.#resourceVersion = rv;
        },
      );
    } finally {
      clearTimeout(watchdog);
      this.#abort.signal.removeEventListener('abort', onStop);
    }
  }

  /** Applies the transform; metadata-only events carry kind PartialObjectMetadata, so restore the real kind. */
  #complete(obj: KObject): KObject {
    const { group, version, kind } = this.opts.resource;
    const typed =
      obj.kind === kind ? obj : { ...obj, apiVersion: group ? `${group}/${version}` : version, kind };
    return this.opts.transform ? this.opts.transform(typed) : typed;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
