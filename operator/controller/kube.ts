// A thin JSON client for the Kubernetes REST API, on @kubernetes/client-node's KubeConfig (auth, TLS,
// exec plugins) and HTTP library. Why not the generated typed APIs or KubernetesObjectApi: they round-
// trip built-in kinds through model classes that silently drop fields the client does not know and turn
// timestamps into Dates, so a server-side apply could lose fields and cached objects would differ in
// shape between list and watch. Here objects stay the JSON the API server sent, every request goes
// through one place (so the operator can count its own requests by verb), and one connection pool is
// reused (KubeConfig.applySecurityAuthentication makes a new undici Agent per call).
import '../../shared/node20-compat.ts';
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  RequestContext,
} from '@kubernetes/client-node';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** Any object as the API server returns it. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface KList {
  metadata: { resourceVersion?: string; continue?: string };
  items: KObject[];
}

/** Where a kind lives in the REST API. */
export interface Resource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export function apiVersionOf(r: Pick<Resource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `deployments.apps`, `configmaps`: how RBAC and our metrics name a resource. */
export function resourceName(r: Pick<Resource, 'group' | 'plural'>): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

const res = (group: string, version: string, kind: string, plural: string, namespaced = true): Resource => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

/** Kinds the operator reads or writes; anything else is looked up through discovery once. */
export const KNOWN_RESOURCES: readonly Resource[] = [
  res('', 'v1', 'ConfigMap', 'configmaps'),
  res('', 'v1', 'Secret', 'secrets'),
  res('', 'v1', 'Service', 'services'),
  res('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  res('', 'v1', 'Pod', 'pods'),
  res('', 'v1', 'Event', 'events'),
  res('', 'v1', 'Namespace', 'namespaces', false),
  res('apps', 'v1', 'Deployment', 'deployments'),
  res('apps', 'v1', 'ReplicaSet', 'replicasets'),
  res('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  res('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  res('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  res('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  res('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  res('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  res('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  res('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  res('events.k8s.io', 'v1', 'Event', 'events'),
  res('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  res('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false),
  res('bulwark.dev', 'v1alpha1', 'LlmDeployment', 'llmdeployments'),
  res('bulwark.dev', 'v1alpha1', 'GuardrailPolicy', 'guardrailpolicies'),
  res('monitoring.coreos.com', 'v1', 'ServiceMonitor', 'servicemonitors'),
  res('security-profiles-operator.x-k8s.io', 'v1beta1', 'SeccompProfile', 'seccompprofiles'),
  res('security-profiles-operator.x-k8s.io', 'v1alpha1', 'AppArmorProfile', 'apparmorprofiles'),
];

export function knownResource(apiVersion: string, kind: string): Resource | undefined {
  return KNOWN_RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** The Kubernetes verbs, as RBAC and the audit log name them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'delete']);

/** Error from the API server, with the `Status` it sent (https://kubernetes.io/docs/reference/using-api/api-concepts/#responses). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown) => err instanceof ApiError && err.code === 404;
export const isConflict = (err: unknown) => err instanceof ApiError && err.code === 409;
export const isGone = (err: unknown) => err instanceof ApiError && err.code === 410;
/** 422 Invalid / 400 BadRequest: retrying the same request cannot succeed. */
export const isInvalid = (err: unknown) => err instanceof ApiError && (err.code === 422 || err.code === 400);
export const isForbidden = (err: unknown) => err instanceof ApiError && err.code === 403;

export type RequestObserver = (event: {
  verb: Verb;
  resource: string;
  code: number;
  seconds: number;
}) => void;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the whole list is fetched page by page. */
  limit?: number;
  /** Ask for PartialObjectMetadata instead of full objects (e.g. Secrets without their data). */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject;
}

const METADATA_ONLY_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** How long auth headers are reused before KubeConfig is asked again (tokens rotate). */
const AUTH_TTL_MS = 30_000;

export class KubeClient {
  readonly #kc: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #observe: RequestObserver | undefined;
  readonly #discovered = new Map<string, Resource>();
  #auth: { headers: Record<string, string>; dispatcher: unknown; at: number } | undefined;
  readonly server: string;

  constructor(kc: KubeConfig, opts: { observe?: RequestObserver } = {}) {
    this.#kc = kc;
    this.#observe = opts.observe;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  /** Resolves a kind to its REST resource: the static table first, then API discovery. */
  async resourceFor(apiVersion: string, kind: string): Promise<Resource> {
    const known = knownResource(apiVersion, kind) ?? this.#discovered.get(`${apiVersion}/${kind}`);
    if (known) return known;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = await this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
      'get',
      'discovery',
      'GET',
      path,
    );
    const found = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) throw new ApiError(404, 'NotFound', `no resource for ${apiVersion} ${kind}`);
    const r = res(group ?? '', version ?? '', kind, found.name, found.namespaced);
    this.#discovered.set(`${apiVersion}/${kind}`, r);
    return r;
  }

  /** Whether the API server serves `group/version` (e.g. a CRD's group), by discovery. */
  async servesGroupVersion(group: string, version: string): Promise<boolean> {
    try {
      await this.request('get', 'discovery', 'GET', `/apis/${group}/${version}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  path(r: Resource, namespace?: string, name?: string, subresource?: string): string {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const tail = name ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
    return `${base}${ns}/${r.plural}${tail}`;
  }

  /**
   * `resourceVersion: '0'` lets the API server answer from its watch cache instead of a quorum read
   * from etcd: cheaper, and possibly a moment stale
   * (https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-get-and-list).
   */
  async get<T extends KObject = KObject>(
    r: Resource,
    namespace: string | undefined,
    name: string,
    opts: { resourceVersion?: '0' } = {},
  ): Promise<T> {
    return this.request<T>('get', resourceName(r), 'GET', this.path(r, namespace, name), {
      query: { resourceVersion: opts.resourceVersion },
    });
  }

  /** Lists every page; returns the items and the list's resourceVersion to watch from. */
  async list(r: Resource, opts: ListOptions = {}): Promise<KList> {
    const items: KObject[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<KList>('list', resourceName(r), 'GET', this.path(r, opts.namespace), {
        query: {
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          limit: opts.limit ?? 500,
          continue: cont,
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.metadataOnly ? { accept: METADATA_ONLY_ACCEPT } : {}),
      });
      for (const item of page.items ?? []) {
        // List items omit apiVersion/kind; watch events carry them. Fill them in so both agree.
        items.push({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(r), kind: item.kind ?? r.kind });
      }
      cont = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  /**
   * Server-side apply (https://kubernetes.io/docs/reference/using-api/server-side-apply/). `force`
   * takes over fields another manager owns, so callers pass it only for objects they own.
   */
  async apply<T extends KObject = KObject>(
    obj: KObject,
    opts: { fieldManager: string; force: boolean; subresource?: 'status' },
  ): Promise<T> {
    const r = await this.resourceFor(obj.apiVersion, obj.kind);
    return this.request<T>(
      'patch',
      resourceName(r) + (opts.subresource ? `/${opts.subresource}` : ''),
      'PATCH',
      this.path(r, obj.metadata.namespace, obj.metadata.name, opts.subresource),
      {
        query: { fieldManager: opts.fieldManager, force: opts.force },
        body: obj,
        contentType: 'application/apply-patch+yaml',
      },
    );
  }

  async create<T extends KObject = KObject>(obj: KObject, opts: { fieldManager?: string } = {}): Promise<T> {
    const r = await this.resourceFor(obj.apiVersion, obj.kind);
    return this.request<T>('create', resourceName(r), 'POST', this.path(r, obj.metadata.namespace), {
      query: { fieldManager: opts.fieldManager },
      body: obj,
    });
  }

  /** PUT: optimistic concurrency through metadata.resourceVersion (409 when stale). */
  async update<T extends KObject = KObject>(obj: KObject, opts: { fieldManager?: string } = {}): Promise<T> {
    const r = await this.resourceFor(obj.apiVersion, obj.kind);
    return this.request<T>(
      'update',
      resourceName(r),
      'PUT',
      this.path(r, obj.metadata.namespace, obj.metadata.name),
      { query: { fieldManager: opts.fieldManager }, body: obj },
    );
  }

  /**
   * Deletes with a uid precondition when given, so an object recreated under the same name by someone
   * else is never deleted by mistake.
   */
  async delete(
    r: Resource,
    namespace: string | undefined,
    name: string,
    opts: { uid?: string; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {},
  ): Promise<void> {
    await this.request('delete', resourceName(r), 'DELETE', this.path(r, namespace, name), {
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: opts.propagationPolicy ?? 'Background',
        ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}),
      },
    });
  }

  /**
   * Streams watch events until the server ends the watch, `signal` aborts, or an error occurs (thrown).
   * `timeoutSeconds` makes the server close the watch, so a silently dead connection cannot hide
   * changes for longer than that.
   */
  async watch(
    r: Resource,
    opts: {
      namespace?: string;
      labelSelector?: string;
      resourceVersion: string;
      timeoutSeconds: number;
      metadataOnly?: boolean;
      signal: AbortSignal;
    },
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    const path = this.path(r, opts.namespace);
    const query = {
      watch: true,
      labelSelector: opts.labelSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: opts.timeoutSeconds,
    };
    const started = performance.now();
    const response = await this.#send('GET', path, {
      query,
      signal: opts.signal,
      ...(opts.metadataOnly ? { accept: METADATA_ONLY_ACCEPT } : {}),
    });
    this.#observe?.({
      verb: 'watch',
      resource: resourceName(r),
      code: response.httpStatusCode,
      seconds: (performance.now() - started) / 1000,
    });
    if (response.httpStatusCode !== 200) throw await toApiError(response.httpStatusCode, response.body);
    const stream = response.body.stream();
    if (!stream) return;
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = stream.getReader();
    let finished = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        buffered += decoder.decode(value, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent);
          newline = buffered.indexOf('\n');
        }
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      throw err;
    } finally {
      // Leaving early (an ERROR event, a handler exception): close the connection, not just the loop.
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  /** One request; `resource` only labels the metric. Throws ApiError on a non-2xx answer. */
  async request<T>(
    verb: Verb,
    resource: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    opts: RequestOptions & { accept?: string } = {},
  ): Promise<T> {
    const started = performance.now();
    let code = 0;
    try {
      const response = await this.#send(method, path, opts);
      code = response.httpStatusCode;
      const text = await response.body.text();
      if (code < 200 || code > 299) throw await toApiError(code, { text: async () => text });
      return (text ? JSON.parse(text) : undefined) as T;
    } finally {
      this.#observe?.({ verb, resource, code, seconds: (performance.now() - started) / 1000 });
    }
  }

  async #send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    opts: RequestOptions & { accept?: string },
  ) {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    const auth = await this.#authenticate();
    for (const [k, v] of Object.entries(auth.headers)) ctx.setHeaderParam(k, v);
    if (auth.dispatcher) ctx.setDispatcher(auth.dispatcher as never);
    ctx.setHeaderParam('Accept', opts.accept ?? 'application/json');
    ctx.setHeaderParam('User-Agent', 'bulwark-operator');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    if (opts.signal) ctx.setSignal(opts.signal);
    return this.#http.send(ctx).toPromise();
  }

  /** Auth headers from KubeConfig, refreshed every AUTH_TTL_MS; the first dispatcher is kept for good. */
  async #authenticate() {
    const now = Date.now();
    if (this.#auth && now - this.#auth.at < AUTH_TTL_MS) return this.#auth;
    const probe = new RequestContext(this.server, HttpMethod.GET);
    await this.#kc.applySecurityAuthentication(probe);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(probe.getHeaders())) headers[k] = String(v);
    this.#auth = { headers, dispatcher: this.#auth?.dispatcher ?? probe.getDispatcher(), at: now };
    return this.#auth;
  }
}

async function toApiError(code: number, body: { text(): Promise<string> }): Promise<ApiError> {
  const text = await body.text().catch(() => '');
  let status: Record<string, unknown> | undefined;
  try {
    status = JSON.parse(text) as Record<string, unknown>;
  } catch {
    status = undefined;
  }
  const reason = typeof status?.reason === 'string' ? status.reason : String(code);
  const message = typeof status?.message === 'string' ? status.message : text.slice(0, 500) || `HTTP ${code}`;
  return new ApiError(code, reason, message, status);
}
