// The operator process: servers for probes and metrics, leader election, informers, two controllers
// (LlmDeployment and GuardrailPolicy) and a periodic resync. Event handlers only map events to keys.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../shared/logging.ts';
import { CONTROLLER_NAME, DEFAULT_GUARD_IMAGE, Label, MANAGED_BY } from '../constants.ts';
import { type OperatorConfig, ownedKinds } from '../desired/index.ts';
import { Controller } from './controller.ts';
import { configMapDigests, dataChanged, datasetRefOf } from './datasets.ts';
import { EventRecorder } from './events.ts';
import { compileCheck, datasetGate } from './gate.ts';
import { Informer } from './informer.ts';
import { type KObject, KubeClient, knownResource, type Resource } from './kube.ts';
import { LeaderElector } from './leader.ts';
import { OperatorMetrics } from './metrics.ts';
import { createPolicyValidator, type PolicyValidatorOptions } from './policy.ts';
import {
  dropManagedFields,
  LlmReconciler,
  type OwnedResource,
  PolicyReconciler,
  secretDigests,
  trimChild,
} from './reconciler.ts';
import { type RunningServer, startMetricsServer, startProbeServer } from './server.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to manage; undefined or empty: all. */
  namespaces?: readonly string[];
  workers?: number;
  /** 0 picks a free port; undefined disables the server. */
  metricsPort?: number;
  healthPort?: number;
  bindHost?: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  identity?: string;
  guardImage?: string;
  /** Every LlmDeployment and GuardrailPolicy is reconciled at least this often (level-based safety net). */
  resyncPeriodMs?: number;
  /** Informers relist this often (jittered). */
  relistPeriodMs?: number;
  log?: Logger;
  validator?: PolicyValidatorOptions;
  /** Called when the operator must exit: leadership lost. */
  onFatal?: (err: Error) => void;
}

const res = (apiVersion: string, kind: string): Resource => {
  const r = knownResource(apiVersion, kind);
  if (!r) throw new Error(`unknown kind ${apiVersion} ${kind}`);
  return r;
};

const ownerKey = (obj: KObject): string | undefined => {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'LlmDeployment');
  if (ref && obj.metadata.namespace) return `${obj.metadata.namespace}/${ref.name}`;
  const labels = obj.metadata.labels ?? {};
  if (!obj.metadata.namespace && labels[Label.instanceNamespace] && labels[Label.instance]) {
    return `${labels[Label.instanceNamespace]}/${labels[Label.instance]}`;
  }
  return undefined;
};

const keyOf = (obj: KObject) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

export class Operator {
  readonly metrics = new OperatorMetrics();
  readonly client: KubeClient;
  readonly identity: string;
  readonly log: Logger;
  readonly #o: OperatorOptions;
  readonly #abort = new AbortController();
  #servers: RunningServer[] = [];
  #informers: Informer[] = [];
  #controllers: Controller[] = [];
  #elector: LeaderElector | undefined;
  #electorDone: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;
  #running = false;
  #stopping: Promise<void> | undefined;
  #startError: Error | undefined;
  llmController: Controller | undefined;
  policyController: Controller | undefined;
  metricsPort: number | undefined;
  healthPort: number | undefined;

  constructor(opts: OperatorOptions) {
    this.#o = opts;
    this.log = opts.log ?? createLogger({ service: CONTROLLER_NAME });
    this.client = new KubeClient(opts.kubeConfig, { observe: this.metrics.observeRequest });
    this.identity =
      opts.identity ?? `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
  }

  /** True once caches are synced and workers run (i.e. this replica is leading and working). */
  get running(): boolean {
    return this.#running;
  }

  get isLeader(): boolean {
    return this.#o.leaderElect ? (this.#elector?.isLeader ?? false) : this.#running;
  }

  /** Starts the servers and campaigns for leadership (or starts working at once without election). */
  async start(): Promise<void> {
    const { metricsPort, healthPort, bindHost } = this.#o;
    if (metricsPort !== undefined) {
      const s = await startMetricsServer({
        port: metricsPort,
        registry: this.metrics.registry,
        ...(bindHost ? { host: bindHost } : {}),
      });
      this.metricsPort = s.port;
      this.#servers.push(s);
    }
    if (healthPort !== undefined) {
      const s = await startProbeServer({
        port: healthPort,
        ...(bindHost ? { host: bindHost } : {}),
        healthz: { ping: () => undefined, startup: () => this.#startError?.message },
        readyz: {
          // A standby is ready: it is healthy and waiting for the Lease.
          informers: () => {
            if (this.#o.leaderElect && !this.#elector?.isLeader) return undefined;
            if (!this.#running) return 'caches not synced yet';
            const stuck = this.#informers.filter((i) => i.unhealthyForSeconds() > 60).map((i) => i.name);
            return stuck.length ? `watches failing for over 60 s: ${stuck.join(', ')}` : undefined;
          },
        },
      });
      this.healthPort = s.port;
      this.#servers.push(s);
    }

    this.log.info('serving', {
      metricsPort: this.metricsPort,
      healthPort: this.healthPort,
      identity: this.identity,
    });
    if (!this.#o.leaderElect) {
      this.metrics.leader.set(1);
      await this.#startWorking();
      return;
    }
    const namespace = this.#o.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'bulwark-system';
    this.#elector = new LeaderElector({
      client: this.client,
      namespace,
      name: this.#o.leaderElectionId ?? 'bulwark-operator-leader',
      identity: this.identity,
      log: this.log,
      ...(this.#o.leaseDurationMs ? { leaseDurationMs: this.#o.leaseDurationMs } : {}),
      ...(this.#o.renewDeadlineMs ? { renewDeadlineMs: this.#o.renewDeadlineMs } : {}),
      ...(this.#o.retryPeriodMs ? { retryPeriodMs: this.#o.retryPeriodMs } : {}),
    });
    this.#electorDone = this.#elector.run(this.#abort.signal, {
      onStartedLeading: () => {
        this.metrics.leader.set(1);
        this.#startWorking().catch((err: Error) => this.#fatal(err));
      },
      onStoppedLeading: (reason) => {
        this.metrics.leader.set(0);
        if (reason === 'lost') this.#fatal(new Error('lost the leader Lease'));
      },
    });
  }

  /** Graceful shutdown: finish in-flight reconciles, stop watches, hand back the Lease, close servers. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#resync) clearInterval(this.#resync);
      await Promise.all(this.#controllers.map((c) => c.stop()));
      await Promise.all(this.#informers.map((i) => i.stop()));
      this.#running = false;
      this.#abort.abort();
      await this.#electorDone;
      await Promise.all(this.#servers.map((s) => s.close()));
      this.log.info('stopped');
    })();
    return this.#stopping;
  }

  #fatal(err: Error): void {
    this.#startError = err;
    this.log.error('fatal', { err: err.message });
    if (this.#o.onFatal) this.#o.onFatal(err);
    else void this.stop();
  }

  async #startWorking(): Promise<void> {
    const { namespaces: nsOpt, workers = 4, relistPeriodMs } = this.#o;
    const namespaces = nsOpt?.length ? nsOpt : undefined;
    const log = this.log;

    // Optional kinds are only emitted and watched when their API exists (discovery, no CRD read rights).
    const optional = new Map<string, boolean>();
    for (const k of ownedKinds) {
      if (!k.optionalCrd || optional.has(k.apiVersion)) continue;
      const [group, version] = k.apiVersion.split('/') as [string, string];
      optional.set(k.apiVersion, await this.client.servesGroupVersion(group, version));
    }
    const served = (apiVersion: string) => optional.get(apiVersion) ?? true;
    const config: OperatorConfig = {
      guardImage: this.#o.guardImage ?? DEFAULT_GUARD_IMAGE,
      serviceMonitor: ownedKinds.some((k) => k.optionalCrd === 'prometheus-operator' && served(k.apiVersion)),
      securityProfilesOperator: ownedKinds.some(
        (k) => k.optionalCrd === 'security-profiles-operator' && served(k.apiVersion),
      ),
    };
    log.info('starting', { identity: this.identity, namespaces: namespaces ?? 'all', workers, ...config });

    const common = {
      client: this.client,
      log,
      ...(relistPeriodMs ? { relistPeriodMs } : {}),
      onError: (resource: string) => this.metrics.informerErrors.inc({ resource }),
    };
    const scoped = namespaces ? { namespaces } : {};
    const llms = new Informer({
      ...common,
      ...scoped,
      resource: res('bulwark.dev/v1alpha1', 'LlmDeployment'),
      transform: dropManagedFields,
    });
    const policies = new Informer({
      ...common,
      ...scoped,
      resource: res('bulwark.dev/v1alpha1', 'GuardrailPolicy'),
      transform: dropManagedFields,
    });
    const secrets = new Informer({
      ...common,
      ...scoped,
      resource: res('v1', 'Secret'),
      transform: secretDigests,
    });
    // Any ConfigMap may be a policy's validation dataset; the cache holds digests of their values only.
    const configMaps = new Informer({
      ...common,
      ...scoped,
      resource: res('v1', 'ConfigMap'),
      transform: configMapDigests,
    });
    const owned: OwnedResource[] = [];
    for (const kind of ownedKinds) {
      if (!served(kind.apiVersion)) continue;
      const resource = await this.client.resourceFor(kind.apiVersion, kind.kind);
      owned.push({
        kind,
        resource,
        informer: new Informer({
          ...common,
          ...(resource.namespaced ? scoped : {}),
          resource,
          labelSelector: `${Label.managedBy}=${MANAGED_BY}`,
          transform: trimChild,
        }),
      });
    }
    this.#informers = [llms, policies, secrets, configMaps, ...owned.map((o) => o.informer)];

    const validator = createPolicyValidator({
      compile: compileCheck,
      datasetGate,
      readDataset: async (namespace, name, key) => {
        try {
          const cm = await this.client.get(res('v1', 'ConfigMap'), namespace, name);
          return (cm.data as Record<string, string> | undefined)?.[key];
        } catch {
          return undefined;
        }
      },
      datasetVersion: (namespace, name, key) =>
        (configMaps.get(namespace, name)?.data as Record<string, string> | undefined)?.[key],
      ...this.#o.validator,
    });
    const events = new EventRecorder(this.client, {
      controller: CONTROLLER_NAME,
      instance: this.identity,
      log,
    });
    const llmReconciler = new LlmReconciler({
      client: this.client,
      llms,
      policies,
      secrets,
      owned,
      validator,
      events,
      config,
      log,
      metrics: this.metrics,
    });
    const policyReconciler = new PolicyReconciler({ client: this.client, policies, validator, events, log });
    const llmController = new Controller({
      name: 'llmdeployment',
      reconcile: (key) => llmReconciler.reconcile(key),
      workers,
      log,
      metrics: this.metrics,
    });
    const policyController = new Controller({
      name: 'guardrailpolicy',
      reconcile: (key) => policyReconciler.reconcile(key),
      workers: Math.max(1, Math.ceil(workers / 4)),
      log,
      metrics: this.metrics,
    });
    this.llmController = llmController;
    this.policyController = policyController;
    this.#controllers = [llmController, policyController];

    const enqueueLlm = (obj: KObject) => llmController.enqueue(keyOf(obj));
    llms.on({ add: enqueueLlm, update: (_, o) => enqueueLlm(o), delete: enqueueLlm });

    const referencing = (namespace: string | undefined, test: (spec: Record<string, unknown>) => boolean) => {
      for (const llm of llms.list(namespace)) {
        if (test((llm.spec ?? {}) as Record<string, unknown>)) enqueueLlm(llm);
      }
    };
    const onPolicy = (p: KObject) => {
      policyController.enqueue(keyOf(p));
      referencing(p.metadata.namespace, (spec) => {
        const guard = spec.guard as { policyRef?: { name?: string } } | undefined;
        return guard?.policyRef?.name === p.metadata.name;
      });
    };
    policies.on({ add: onPolicy, update: (_, p) => onPolicy(p), delete: onPolicy });

    // A dataset that appears, changes or goes away re-validates the policies that name it.
    const onDataset = (cm: KObject) => {
      for (const p of policies.list(cm.metadata.namespace)) {
        if (datasetRefOf(p)?.name === cm.metadata.name) onPolicy(p);
      }
    };
    configMaps.on({
      add: onDataset,
      update: (a, b) => {
        if (dataChanged(a, b)) onDataset(b);
      },
      delete: onDataset,
    });

    const onSecret = (s: KObject) =>
      referencing(s.metadata.namespace, (spec) => {
        const guard = spec.guard as { apiKeySecretRef?: { name?: string } } | undefined;
        const secretsList = (spec.secrets ?? []) as { secretName?: string }[];
        return (
          guard?.apiKeySecretRef?.name === s.metadata.name ||
          secretsList.some((x) => x.secretName === s.metadata.name)
        );
      });
    // Secrets change for reasons of their own (token refreshes...): only data changes matter.
    secrets.on({
      add: onSecret,
      update: (a, b) => {
        if (JSON.stringify(a.data) !== JSON.stringify(b.data)) onSecret(b);
      },
      delete: onSecret,
    });

    const onChild = (obj: KObject) => {
      const key = ownerKey(obj);
      if (key) llmController.enqueue(key);
    };
    for (const o of owned) o.informer.on({ add: onChild, update: (_, b) => onChild(b), delete: onChild });

    for (const i of this.#informers) i.start();
    await Promise.all(this.#informers.map((i) => i.waitForSync()));
    if (this.#abort.signal.aborted) return;
    log.info('caches synced', Object.fromEntries(this.#informers.map((i) => [i.name, i.size()])));
    for (const c of this.#controllers) c.start();
    this.#running = true;

    const resyncMs = this.#o.resyncPeriodMs ?? 10 * 60_000;
    this.#resync = setInterval(() => {
      for (const p of policies.list()) policyController.enqueue(keyOf(p));
      for (const l of llms.list()) enqueueLlm(l);
    }, resyncMs);
    this.#resync.unref();
  }
}
