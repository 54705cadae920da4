// reconcile(key) for LlmDeployment and GuardrailPolicy, level-based as in controller-runtime
// (pkg/reconcile): whatever woke it, it reads the current state from the informer caches, converges the
// children with server-side apply under one field manager, prunes what it owns and no longer wants, and
// writes status only when it changed. Error classes (STYLE rule 5):
// - transient (network, 5xx, 403 until RBAC is fixed): thrown → requeued with per-key backoff;
// - 409 conflict: thrown as ConflictError → requeued quietly;
// - invalid spec / invalid policy / 422 from the API: a condition and a Warning event, not retried
//   until something changes (an informer event will wake the key);
// - the object is gone: done (its namespaced children go with it through owner references).
import { parse as parseYaml } from 'yaml';
import {
  GuardrailPolicy,
  type GuardrailPolicyStatus,
  LlmDeployment,
  type LlmDeploymentStatus,
} from '../../api/v1alpha1/index.ts';
import type { Logger } from '../../shared/logging.ts';
import { canonicalJson, policyHash } from '../../shared/policy/index.ts';
import {
  Annotation,
  ConditionType,
  EventReason,
  FIELD_MANAGER,
  Label,
  MANAGED_BY,
  PolicyFile,
  Reason,
} from '../constants.ts';
import {
  buildDesiredState,
  endpointUrl,
  InvalidSpecError,
  names,
  type OperatorConfig,
  type OwnedKind,
  referencedSecrets,
  secretDataDigests,
  secretsHash,
} from '../desired/index.ts';
import { shortHash } from '../desired/meta.ts';
import { rfc3339, sameStatus, setCondition } from './conditions.ts';
import { ConflictError, type ReconcileOutcome } from './errors.ts';
import type { EventSink } from './events.ts';
import type { Informer } from './informer.ts';
import {
  ApiError,
  isConflict,
  isInvalid,
  isNotFound,
  type KObject,
  type KubeClient,
  type Resource,
} from './kube.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { PolicyValidator, ValidPolicy } from './policy.ts';
import { computeStatus, deploymentFacts, type LlmFacts, transitionEvents } from './status.ts';

interface ApplyResult {
  outcome: 'applied' | 'skipped' | 'conflict' | 'error';
  /** For applied objects: new, changed (desired state moved) or drift (someone took our fields). */
  why?: string;
  object?: KObject;
  message?: string;
}

interface Lookup {
  unknownKind?: boolean;
  owned?: OwnedResource;
  key?: string;
  current?: KObject;
  ours?: boolean;
}

export interface OwnedResource {
  kind: OwnedKind;
  resource: Resource;
  informer: Informer;
}

export interface ReconcilerDeps {
  client: KubeClient;
  llms: Informer;
  policies: Informer;
  /** Secrets with their values replaced by digests (see secretDigests). */
  secrets: Informer;
  owned: readonly OwnedResource[];
  validator: PolicyValidator;
  events: EventSink;
  config: OperatorConfig;
  log: Logger;
  metrics: OperatorMetrics;
  build?: typeof buildDesiredState;
  now?: () => number;
  /** Superseded policy ConfigMaps kept for rollback once a rollout completes. */
  keepPolicyConfigMaps?: number;
}

const LLM_STATUS_KEYS = [
  'observedGeneration',
  'conditions',
  'replicas',
  'readyReplicas',
  'updatedReplicas',
  'policy',
  'endpoint',
];
const POLICY_STATUS_KEYS = ['observedGeneration', 'conditions', 'hash', 'evaluation'];

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

const objKey = (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Newest first by creationTimestamp, which has one-second resolution; ties go by resourceVersion, which
 * for the immutable policy ConfigMaps is their creation order (see newer() on comparing them).
 */
function newestFirst(a: KObject, b: KObject): number {
  const byTime = (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
  if (byTime !== 0) return byTime;
  try {
    const d = BigInt(b.metadata.resourceVersion ?? '0') - BigInt(a.metadata.resourceVersion ?? '0');
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  } catch {
    return 0;
  }
}

/** Cache entries are frozen: any change starts from a copy (STYLE: never mutate the cache). */
function pick(obj: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj?.[k] !== undefined) out[k] = obj[k];
  return out;
}

/**
 * resourceVersions are opaque, but the API server's are etcd revisions; client-go's MutationCache
 * compares them as integers for exactly this purpose (which of two copies of one object is newer).
 */
function newer(a: KObject | undefined, b: KObject | undefined): KObject | undefined {
  if (!a) return b;
  if (!b) return a;
  try {
    return BigInt(b.metadata.resourceVersion ?? '0') > BigInt(a.metadata.resourceVersion ?? '0') ? b : a;
  } catch {
    return a;
  }
}

/**
 * The informer transform for Secrets: values become SHA-256 digests (the builders' secretDataDigests,
 * which `bulwark render` uses too, so both compute the same secrets hash); the operator never holds them.
 */
export function secretDigests(secret: KObject): KObject {
  const { name, namespace, uid, resourceVersion, labels } = secret.metadata;
  return {
    apiVersion: secret.apiVersion,
    kind: secret.kind,
    metadata: { name, namespace, uid, resourceVersion, ...(labels ? { labels } : {}) },
    data: secretDataDigests((secret.data ?? {}) as Record<string, string>),
  };
}

/**
 * Informer transforms that shrink the cache: managedFields are often the largest part of an object, and
 * the reconciler only needs to know whether its own Apply entry changed (drift detection). Children
 * keep just that entry, reduced to a digest (fieldsType `bulwark/sha256`).
 */
export function keepOwnManagedFields(obj: KObject): KObject {
  const entries = obj.metadata.managedFields;
  if (!entries) return obj;
  const fp = ownedFieldsFingerprint(obj);
  const managedFields = fp
    ? [{ manager: FIELD_MANAGER, operation: 'Apply', fieldsType: DIGEST_FIELDS_TYPE, fieldsV1: fp }]
    : [];
  return { ...obj, metadata: { ...obj.metadata, managedFields } };
}

/**
 * The cache entry of a child: only what the reconciler reads. Metadata (labels, owner references, our
 * applied-hash annotation, our managed-fields digest), status, a Deployment's replicas and pod-template
 * metadata (the policy it runs), and a policy ConfigMap's data (to recover the last valid policy).
 * Everything else is what we applied ourselves and is never read back, so it is not kept: at 1,000
 * LlmDeployments this is most of the operator's memory.
 */
export function trimChild(obj: KObject): KObject {
  const { apiVersion, kind } = obj;
  const out: KObject = { apiVersion, kind, metadata: keepOwnManagedFields(obj).metadata };
  if (obj.status !== undefined) out.status = obj.status;
  if (kind === 'Deployment') {
    const spec = (obj.spec ?? {}) as { replicas?: number; template?: { metadata?: unknown } };
    out.spec = {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      template: { metadata: spec.template?.metadata ?? {} },
    };
  }
  if (kind === 'ConfigMap' && obj.metadata.labels?.[Label.policyHash]) out.data = obj.data;
  return out;
}

export function dropManagedFields(obj: KObject): KObject {
  if (!obj.metadata.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata: metadata as KObject['metadata'] };
}

/** Our Apply entry in managedFields: if another manager takes a field from us, it changes. */
function ownedFieldsFingerprint(obj: KObject): string | undefined {
  const entry = obj.metadata.managedFields?.find(
    (m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && !m.subresource,
  );
  if (!entry) return undefined;
  if (entry.fieldsType === DIGEST_FIELDS_TYPE) return entry.fieldsV1 as string;
  return shortHash(canonicalJson(entry.fieldsV1 ?? null), 16);
}

const DIGEST_FIELDS_TYPE = 'bulwark/sha256';

export class LlmReconciler {
  readonly #d: ReconcilerDeps;
  readonly #build: typeof buildDesiredState;
  readonly #ownedByKind = new Map<string, OwnedResource>();
  /** Our own writes not yet seen by the informers: object key → response. */
  readonly #recent = new Map<string, KObject>();
  /** Fingerprint of our managed fields per object, taken after our last apply (drift detection). */
  readonly #fields = new Map<string, string>();

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
    this.#build = deps.build ?? buildDesiredState;
    for (const o of deps.owned) {
      this.#ownedByKind.set(`${o.kind.apiVersion}/${o.kind.kind}`, o);
      // Forget our copy of a write as soon as the informer has caught up with it.
      const seen = (obj: KObject) => this.#caughtUp(objKey(obj), obj);
      o.informer.on({
        add: seen,
        update: (_, obj) => seen(obj),
        delete: (obj) => this.#recent.delete(objKey(obj)),
      });
    }
    const seenLlm = (obj: KObject) =>
      this.#caughtUp(`llm/${obj.metadata.namespace}/${obj.metadata.name}`, obj);
    deps.llms.on({ add: seenLlm, update: (_, obj) => seenLlm(obj) });
  }

  #caughtUp(key: string, cached: KObject): void {
    const recent = this.#recent.get(key);
    if (recent && newer(cached, recent) === cached) this.#recent.delete(key);
  }

  /** Keeps our copy of a write, trimmed like the informer's (so it costs what a cache entry costs). */
  #remember(key: string, written: KObject): void {
    this.#recent.set(
      key,
      key.startsWith('llm/') ? dropManagedFields(written) : keepOwnManagedFields(written),
    );
  }

  #now(): number {
    return this.#d.now?.() ?? Date.now();
  }

  /** The newest copy of an object we know: the informer's, or the one our last write returned. */
  #current(cached: KObject | undefined, key: string): KObject | undefined {
    const recent = this.#recent.get(key);
    const current = newer(cached, recent);
    if (recent && current === cached) this.#recent.delete(key);
    return current;
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const [namespace, name] = splitKey(key);
    const cached = this.#d.llms.get(namespace, name);
    if (!cached) {
      await this.#deleteClusterScoped(namespace, name, new Set());
      this.#forgetLlm(key);
      return {};
    }
    // No finalizer: the garbage collector removes namespaced children through owner references.
    if (cached.metadata.deletionTimestamp) return {};
    const raw = this.#current(cached, `llm/${key}`)!;
    const log = this.#d.log.child({ 'k8s.object': key, 'k8s.kind': 'LlmDeployment' });

    const generation = raw.metadata.generation ?? 0;
    const spec = raw.spec as { guard?: { policyRef?: { name?: string } } } | undefined;
    const facts: LlmFacts = {
      generation,
      policy: { name: spec?.guard?.policyRef?.name ?? '', state: 'missing', message: '' },
      missingSecrets: [],
      conflicts: [],
      applyErrors: [],
    };

    const parsed = LlmDeployment.safeParse({
      apiVersion: raw.apiVersion,
      kind: raw.kind,
      metadata: pick(raw.metadata, ['name', 'namespace', 'uid', 'generation', 'labels', 'annotations']),
      spec: raw.spec,
    });
    if (!parsed.success) {
      facts.specInvalid = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      log.warn('invalid spec; not retrying until it changes', { reason: facts.specInvalid });
      await this.#writeStatus(raw, facts, log);
      return {};
    }
    const llm = parsed.data;

    let currentDeployment: KObject | undefined;
    try {
      currentDeployment = this.#ownedObject('apps/v1', 'Deployment', namespace, names.deployment(llm), raw);
    } catch (err) {
      if (!(err instanceof InvalidSpecError)) throw err;
      facts.specInvalid = err.message;
      await this.#writeStatus(raw, facts, log);
      return {};
    }
    if (currentDeployment) facts.deployment = deploymentFacts(currentDeployment);

    // The policy: the referenced one if valid, else the last valid one the pods already run.
    const policyName = llm.spec.guard.policyRef.name;
    const policyRaw = this.#d.policies.get(namespace, policyName);
    let policy: ValidPolicy | undefined;
    if (!policyRaw) {
      facts.policy = {
        name: policyName,
        state: 'missing',
        message: `GuardrailPolicy ${policyName} not found in ${namespace}`,
      };
    } else {
      const verdict = await this.#d.validator.validate(policyRaw);
      if (verdict.valid) {
        policy = verdict.policy;
        facts.policy = {
          name: policyName,
          state: 'valid',
          message: verdict.message,
          hash: verdict.policy.hash,
        };
      } else {
        facts.policy = {
          name: policyName,
          state: 'invalid',
          message: verdict.message,
          reason: verdict.reason,
        };
      }
    }
    if (!policy) {
      policy = this.#lastValidPolicy(raw, namespace, currentDeployment);
      if (policy)
        log.info('keeping the last valid policy', {
          'policy.hash': policy.hash,
          reason: facts.policy.message,
        });
    }
    if (policy) facts.deployedPolicy = { name: policy.metadata.name ?? policyName, hash: policy.hash };

    // Secrets: every referenced key must exist; the hash of their digests rolls the pods on rotation.
    const digests = new Map<string, Record<string, string> | undefined>();
    for (const ref of referencedSecrets(llm)) {
      const secret = this.#d.secrets.get(namespace, ref.secretName);
      const data = secret?.data as Record<string, string> | undefined;
      digests.set(ref.secretName, data);
      if (!secret) facts.missingSecrets.push(`Secret ${ref.secretName} (${ref.field}) not found`);
      else if (data?.[ref.key] === undefined) {
        facts.missingSecrets.push(`Secret ${ref.secretName} has no key ${ref.key} (${ref.field})`);
      }
    }

    // Nothing to roll out without a usable policy; and pods that would fail on a missing Secret are not
    // created (or rolled): the running ones are left alone.
    if (!policy || facts.missingSecrets.length > 0) {
      await this.#writeStatus(raw, facts, log);
      return {};
    }

    let desired: KObject[];
    try {
      desired = this.#build(
        llm,
        { policy, secretsHash: secretsHash(llm, digests) },
        this.#d.config,
      ) as KObject[];
      facts.endpoint = endpointUrl(llm);
    } catch (err) {
      if (!(err instanceof InvalidSpecError)) throw err;
      facts.specInvalid = `${err.field}: ${err.message}`;
      log.warn('spec cannot be turned into objects; not retrying until it changes', {
        reason: facts.specInvalid,
      });
      await this.#writeStatus(raw, facts, log);
      return {};
    }

    // What the pods need (ServiceAccount, policy ConfigMap, profiles, NetworkPolicy) and what only
    // refers to the Deployment (Service, PDB, HPA) is applied first, in parallel; the Deployment last,
    // and only if all of that succeeded: no pod without its policy or its NetworkPolicy. Objects
    // missing from the cache are looked up in parallel before anything is written.
    const changedChildren: string[] = [];
    const isDeployment = (o: KObject) => o.kind === 'Deployment' && o.apiVersion === 'apps/v1';
    const phases = [desired.filter((o) => !isDeployment(o)), desired.filter(isDeployment)];
    let found: Lookup[];
    try {
      found = await Promise.all(desired.map((obj) => this.#lookup(obj, raw)));
    } catch (err) {
      await this.#reportTransient(raw, facts, err, log);
      throw err;
    }
    for (const phase of phases) {
      let results: ApplyResult[];
      try {
        results = await Promise.all(
          phase.map((obj) => this.#applyOne(obj, found[desired.indexOf(obj)]!, log)),
        );
      } catch (err) {
        await this.#reportTransient(raw, facts, err, log);
        throw err;
      }
      results.forEach((result, i) => {
        const obj = phase[i]!;
        if (result.outcome === 'conflict') facts.conflicts.push(`${obj.kind}/${obj.metadata.name}`);
        if (result.outcome === 'error')
          facts.applyErrors.push(`${obj.kind}/${obj.metadata.name}: ${result.message}`);
        if (result.outcome === 'applied' && result.why !== 'new')
          changedChildren.push(`${obj.kind}/${obj.metadata.name}`);
        if (isDeployment(obj) && result.object && result.outcome !== 'conflict') {
          facts.deployment = deploymentFacts(result.object);
          currentDeployment = result.object;
        }
      });
      if (facts.conflicts.length > 0 || facts.applyErrors.length > 0) break;
    }
    // An Event when existing children change (a new spec, a policy, taken-back drift); creating them
    // is what Progressing already says, and one more write per new LlmDeployment does not scale.
    if (changedChildren.length > 0) {
      log.info('updated children', { objects: changedChildren });
      // Events are hints for humans; they are not worth a round trip in the reconcile's path.
      void this.#d.events.emit(raw, {
        type: 'Normal',
        reason: EventReason.Applied,
        action: 'Apply',
        note: `updated ${changedChildren.join(', ')}`,
      });
    }

    const pruned = await this.#prune(raw, desired, policy.hash, currentDeployment, log);
    if (pruned.length > 0) {
      void this.#d.events.emit(raw, {
        type: 'Normal',
        reason: EventReason.Pruned,
        action: 'Prune',
        note: `deleted ${pruned.join(', ')}`,
      });
    }

    await this.#writeStatus(raw, facts, log);
    return {};
  }

  /**
   * A failure that a retry may fix (5xx, timeouts, 403 until RBAC is fixed) still deserves a line in
   * status while it lasts; best effort, since the API server may be what is failing. 409 stays quiet.
   */
  async #reportTransient(raw: KObject, facts: LlmFacts, err: unknown, log: Logger): Promise<void> {
    if (err instanceof ConflictError || isConflict(err)) return;
    facts.applyErrors.push(err instanceof Error ? err.message : String(err));
    try {
      await this.#writeStatus(raw, facts, log);
    } catch {
      // The requeue with backoff is what matters.
    }
  }

  /** A child from the cache (or our newer write), only if it is really ours. */
  #ownedObject(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    llm: KObject,
  ): KObject | undefined {
    const owned = this.#ownedByKind.get(`${apiVersion}/${kind}`);
    if (!owned) return undefined;
    const key = `${apiVersion}/${kind}/${owned.resource.namespaced ? namespace : ''}/${name}`;
    const obj = this.#current(
      owned.informer.get(owned.resource.namespaced ? namespace : undefined, name),
      key,
    );
    return obj && this.#isOurs(obj, llm, owned.resource.namespaced) ? obj : undefined;
  }

  #isOurs(obj: KObject, llm: KObject, namespaced: boolean): boolean {
    const labels = obj.metadata.labels ?? {};
    if (labels[Label.managedBy] !== MANAGED_BY) return false;
    if (namespaced) {
      return obj.metadata.ownerReferences?.some((r) => r.controller && r.uid === llm.metadata.uid) ?? false;
    }
    return (
      labels[Label.instance] === llm.metadata.name &&
      labels[Label.instanceNamespace] === llm.metadata.namespace
    );
  }

  /** Reads back the policy the current pods run from its immutable ConfigMap. */
  #lastValidPolicy(
    llm: KObject,
    namespace: string,
    deployment: KObject | undefined,
  ): ValidPolicy | undefined {
    const cms = this.#ownedByKind.get('v1/ConfigMap');
    if (!cms) return undefined;
    const candidates = cms.informer
      .list(namespace)
      .filter((cm) => cm.metadata.labels?.[Label.policyHash] && this.#isOurs(cm, llm, true))
      .sort(newestFirst);
    const running = (
      deployment?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } }
    )?.template?.metadata?.annotations?.[Annotation.policyHash];
    const ordered = running
      ? [...candidates.filter((c) => c.metadata.labels?.[Label.policyHash] === running), ...candidates]
      : candidates;
    for (const cm of ordered) {
      const text = (cm.data as Record<string, string> | undefined)?.[PolicyFile.key];
      if (!text) continue;
      try {
        const parsed = GuardrailPolicy.safeParse(parseYaml(text));
        if (!parsed.success) continue;
        const hash = policyHash(parsed.data.spec);
        if (hash !== cm.metadata.labels?.[Label.policyHash]) continue;
        return { ...parsed.data, hash };
      } catch {
        // Unparseable: try the next one.
      }
    }
    return undefined;
  }

  /**
   * Where a desired object stands: our newest copy from the cache (or from our last write), else a GET,
   * because the label-selected cache cannot show an object of the same name that someone else made.
   */
  async #lookup(desired: KObject, llm: KObject): Promise<Lookup> {
    const owned = this.#ownedByKind.get(`${desired.apiVersion}/${desired.kind}`);
    if (!owned) return { unknownKind: true };
    const key = objKey(desired);
    const namespace = owned.resource.namespaced ? desired.metadata.namespace : undefined;
    let current = this.#current(owned.informer.get(namespace, desired.metadata.name), key);
    if (!current) {
      try {
        // From the API server's cache: an object someone else created a moment ago may be missed (the
        // same race as between any read and write), and no etcd read is spent on every child of
        // every new LlmDeployment.
        current = await this.#d.client.get(owned.resource, namespace, desired.metadata.name, {
          resourceVersion: '0',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return {
      owned,
      key,
      ...(current ? { current, ours: this.#isOurs(current, llm, owned.resource.namespaced) } : {}),
    };
  }

  /**
   * Applies one desired object unless the cluster already has exactly it:
   * - skipped when our applied-hash annotation matches and no other manager took fields from us;
   * - an object of the same name that Bulwark does not own is a conflict and is never touched;
   * - force is used only on objects we own (taking back fields someone else changed).
   */
  async #applyOne(desired: KObject, found: Lookup, log: Logger): Promise<ApplyResult> {
    if (found.unknownKind || !found.owned || !found.key) {
      return {
        outcome: 'error',
        message: `the operator does not watch ${desired.apiVersion} ${desired.kind}`,
      };
    }
    const { key, current } = found;
    const count = (outcome: string) => this.#d.metrics.applies.inc({ kind: desired.kind, outcome });
    const hash = shortHash(canonicalJson(desired), 16);
    if (current && !found.ours) {
      count('conflict');
      log.warn('object exists and is not managed by this LlmDeployment; leaving it alone', {
        object: `${desired.kind}/${desired.metadata.name}`,
      });
      return { outcome: 'conflict', object: current };
    }
    let why = current ? 'changed' : 'new';
    if (current && current.metadata.annotations?.[Annotation.appliedHash] === hash) {
      const fp = ownedFieldsFingerprint(current);
      const baseline = this.#fields.get(key);
      if (fp !== undefined && (baseline === undefined || baseline === fp)) {
        this.#fields.set(key, fp);
        count('skipped');
        return { outcome: 'skipped', object: current };
      }
      why = 'drift';
    }
    log.info('applying', { object: `${desired.kind}/${desired.metadata.name}`, why });
    const body: KObject = {
      ...desired,
      metadata: {
        ...desired.metadata,
        annotations: { ...desired.metadata.annotations, [Annotation.appliedHash]: hash },
      },
    };
    try {
      const result = await this.#d.client.apply(body, {
        fieldManager: FIELD_MANAGER,
        force: current !== undefined,
      });
      this.#remember(key, result);
      const fp = ownedFieldsFingerprint(result);
      if (fp) this.#fields.set(key, fp);
      count('applied');
      return { outcome: 'applied', object: result, why };
    } catch (err) {
      if (isConflict(err))
        throw new ConflictError(`${desired.kind}/${desired.metadata.name}: ${(err as Error).message}`);
      if (isInvalid(err)) {
        count('error');
        log.error('the API server rejected an object', {
          object: `${desired.kind}/${desired.metadata.name}`,
          err: (err as Error).message,
        });
        return { outcome: 'error', message: (err as ApiError).message };
      }
      throw err;
    }
  }

  /**
   * Deletes children this LlmDeployment owns but no longer wants. Policy ConfigMaps are special: the
   * current one stays, superseded ones are deleted only once the rollout away from them completed, and
   * the newest few are kept so `kubectl rollout undo` finds its policy.
   */
  async #prune(
    llm: KObject,
    desired: KObject[],
    currentPolicyHash: string,
    deployment: KObject | undefined,
    log: Logger,
  ): Promise<string[]> {
    const want = new Set(desired.map(objKey));
    const namespace = llm.metadata.namespace ?? '';
    const deleted: string[] = [];
    const facts = deployment ? deploymentFacts(deployment) : undefined;
    const rolledOut =
      facts !== undefined &&
      facts.policyHash === currentPolicyHash &&
      facts.observedGeneration >= facts.generation &&
      facts.updatedReplicas >= facts.desiredReplicas &&
      facts.replicas <= facts.updatedReplicas;
    const keep = this.#d.keepPolicyConfigMaps ?? 3;

    for (const owned of this.#d.owned) {
      const ns = owned.resource.namespaced ? namespace : undefined;
      const mine = owned.informer
        .list(ns)
        .filter((o) => o.metadata.labels?.[Label.instance] === llm.metadata.name)
        .filter((o) => this.#isOurs(o, llm, owned.resource.namespaced))
        .filter((o) => !want.has(objKey(o)));
      let candidates = mine.filter((o) => !o.metadata.labels?.[Label.policyHash]);
      const oldPolicies = mine.filter((o) => o.metadata.labels?.[Label.policyHash]).sort(newestFirst);
      if (rolledOut) candidates = candidates.concat(oldPolicies.slice(keep));
      for (const obj of candidates) {
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await this.#d.client.delete(owned.resource, ns, obj.metadata.name, {
            ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
          });
        } catch (err) {
          // Gone already, or replaced by a new object (uid precondition): nothing of ours to delete.
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
        this.#recent.delete(objKey(obj));
        this.#fields.delete(objKey(obj));
        deleted.push(`${obj.kind}/${obj.metadata.name}`);
        log.info('pruned', { object: `${obj.kind}/${obj.metadata.name}` });
      }
    }
    return deleted;
  }

  /** Cluster-scoped children have no owner reference; they are deleted here when their owner is gone. */
  async #deleteClusterScoped(namespace: string, name: string, keep: Set<string>): Promise<void> {
    for (const owned of this.#d.owned) {
      if (owned.resource.namespaced) continue;
      for (const obj of owned.informer.list()) {
        const labels = obj.metadata.labels ?? {};
        if (labels[Label.instance] !== name || labels[Label.instanceNamespace] !== namespace) continue;
        if (keep.has(objKey(obj)) || obj.metadata.deletionTimestamp) continue;
        try {
          await this.#d.client.delete(owned.resource, undefined, obj.metadata.name, {
            ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
          });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
    }
  }

  /** Drops what we remembered about the children (over-matching a name prefix only costs a re-check). */
  #forgetLlm(key: string): void {
    this.#recent.delete(`llm/${key}`);
    const [namespace, name] = splitKey(key);
    const prefix = `/${namespace}/${name}`;
    for (const m of [this.#fields, this.#recent]) {
      for (const k of [...m.keys()]) if (k.includes(prefix)) m.delete(k);
    }
  }

  async #writeStatus(raw: KObject, facts: LlmFacts, log: Logger): Promise<void> {
    const previous = pick(raw.status as Record<string, unknown>, LLM_STATUS_KEYS) as LlmDeploymentStatus;
    const next = computeStatus(facts, raw.status ? previous : undefined, rfc3339(this.#now()));
    if (sameStatus(previous, next)) return;
    log.debug('writing status', { from: previous, to: next });
    const result = await this.#d.client.apply(
      {
        apiVersion: raw.apiVersion,
        kind: raw.kind,
        metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace },
        status: next,
      },
      { fieldManager: FIELD_MANAGER, force: true, subresource: 'status' },
    );
    this.#remember(`llm/${raw.metadata.namespace}/${raw.metadata.name}`, result);
    for (const event of transitionEvents(raw.status ? previous : undefined, next)) {
      void this.#d.events.emit(raw, event);
    }
  }
}

/** Validates GuardrailPolicies and reports the verdict in their status (Valid condition and hash). */
export class PolicyReconciler {
  readonly #recent = new Map<string, KObject>();

  constructor(
    readonly deps: Pick<ReconcilerDeps, 'client' | 'policies' | 'validator' | 'events' | 'log' | 'now'>,
  ) {}

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const [namespace, name] = splitKey(key);
    const cached = this.deps.policies.get(namespace, name);
    if (!cached) {
      this.#recent.delete(key);
      return {};
    }
    const raw = newer(cached, this.#recent.get(key))!;
    if (raw === cached) this.#recent.delete(key);
    const verdict = await this.deps.validator.validate(raw);
    const previous = pick(raw.status as Record<string, unknown>, POLICY_STATUS_KEYS) as GuardrailPolicyStatus;
    const generation = raw.metadata.generation ?? 0;
    const now = rfc3339(this.deps.now?.() ?? Date.now());
    const next: GuardrailPolicyStatus = {
      observedGeneration: generation,
      conditions: setCondition(
        previous.conditions,
        verdict.valid
          ? {
              type: ConditionType.Valid,
              status: 'True',
              reason: Reason.PolicyValid,
              message: verdict.message,
              observedGeneration: generation,
            }
          : {
              type: ConditionType.Valid,
              status: 'False',
              reason: verdict.reason,
              message: verdict.message,
              observedGeneration: generation,
            },
        now,
      ),
      // The hash of the last valid spec: an invalid edit does not erase what the pods still enforce.
      ...(verdict.valid ? { hash: verdict.policy.hash } : previous.hash ? { hash: previous.hash } : {}),
      ...(verdict.evaluation
        ? { evaluation: verdict.evaluation }
        : previous.evaluation
          ? { evaluation: previous.evaluation }
          : {}),
    };
    if (sameStatus(previous, next)) return {};
    const result = await this.deps.client.apply(
      { apiVersion: raw.apiVersion, kind: raw.kind, metadata: { name, namespace }, status: next },
      { fieldManager: FIELD_MANAGER, force: true, subresource: 'status' },
    );
    this.#recent.set(key, result);
    const before = previous.conditions?.find((c) => c.type === ConditionType.Valid);
    if (!verdict.valid && (before?.status !== 'False' || before.message !== verdict.message)) {
      this.deps.log.warn('GuardrailPolicy rejected', { 'k8s.object': key, reason: verdict.message });
      await this.deps.events.emit(raw, {
        type: 'Warning',
        reason: EventReason.PolicyRejected,
        action: 'ValidatePolicy',
        note: verdict.message,
      });
    }
    return {};
  }
}

export { ApiError, ConflictError, type ReconcileOutcome };
