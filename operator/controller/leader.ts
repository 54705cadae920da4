// Leader election on a coordination.k8s.io/v1 Lease, after client-go's tools/leaderelection
// (https://pkg.go.dev/k8s.io/client-go/tools/leaderelection): one replica holds the Lease and renews it
// every retry period; the others poll. Expiry is judged by when *this* replica last saw the record
// change (not by the holder's timestamps), so clock skew between nodes cannot cause two leaders.
// Optimistic concurrency (resourceVersion on update) settles races: a 409 means someone else won.
import type { Logger } from '../../shared/logging.ts';
import { isConflict, isNotFound, type KObject, type KubeClient, knownResource } from './kube.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  /** How long a Lease is valid without renewal: a standby waits this long before taking over. */
  leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long (must be < leaseDuration). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KObject & { spec?: LeaseSpec };

const LEASE = knownResource('coordination.k8s.io/v1', 'Lease')!;

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'client' | 'log'>> &
    Pick<LeaderElectionOptions, 'client' | 'log'>;
  #observed: { record: string; at: number } | undefined;
  #lease: Lease | undefined;
  #leading = false;

  constructor(opts: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...opts,
    };
    if (this.#o.renewDeadlineMs >= this.#o.leaseDurationMs) {
      throw new RangeError('renewDeadline must be shorter than leaseDuration');
    }
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until `signal` aborts. Calls `onStartedLeading` once the Lease is ours and
   * `onStoppedLeading` when it is lost (renewals failed past the deadline) or given up on abort; it then
   * returns. A lost leader should exit: its informers and queues may hold stale state.
   */
  async run(
    signal: AbortSignal,
    callbacks: { onStartedLeading: () => void; onStoppedLeading: (reason: 'lost' | 'released') => void },
  ): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs, log } = this.#o;
    while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
      await sleep(retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return;
    this.#leading = true;
    log.info('became leader', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity });
    callbacks.onStartedLeading();
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > renewDeadlineMs) {
        this.#leading = false;
        log.error('lost leadership: could not renew the Lease before the deadline', {
          lease: `${this.#o.namespace}/${this.#o.name}`,
        });
        callbacks.onStoppedLeading('lost');
        return;
      }
    }
    await this.release();
    callbacks.onStoppedLeading('released');
  }

  /** Hands the Lease back so a standby takes over at once instead of after leaseDuration. */
  async release(): Promise<void> {
    if (!this.#leading || !this.#lease) return;
    this.#leading = false;
    try {
      await this.#o.client.update({
        ...this.#lease,
        spec: {
          ...this.#lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(Date.now()),
        },
      });
    } catch (err) {
      this.#o.log.warn('could not release the Lease', { err: (err as Error).message });
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs, log } = this.#o;
    const now = Date.now();
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    let lease: Lease;
    try {
      lease = await client.get<Lease>(LEASE, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) {
        log.warn('could not read the Lease', { err: (err as Error).message });
        return false;
      }
      try {
        this.#lease = await client.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        this.#observe(this.#lease, now);
        return true;
      } catch (createErr) {
        if (!isConflict(createErr))
          log.warn('could not create the Lease', { err: (createErr as Error).message });
        return false;
      }
    }

    this.#observe(lease, now);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const validMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const heldByOther = holder !== '' && holder !== identity;
    if (heldByOther && (this.#observed?.at ?? now) + validMs > now) {
      this.#leading = false;
      return false;
    }
    const renewing = holder === identity;
    try {
      this.#lease = await client.update<Lease>({
        ...lease,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: renewing && spec.acquireTime ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: renewing ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      });
      this.#observe(this.#lease, now);
      return true;
    } catch (err) {
      if (!isConflict(err)) log.warn('could not update the Lease', { err: (err as Error).message });
      return false;
    }
  }

  #observe(lease: Lease, now: number): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (this.#observed?.record !== record) this.#observed = { record, at: now };
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
