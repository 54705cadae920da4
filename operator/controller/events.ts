// Kubernetes Events through events.k8s.io/v1 (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/).
// Reasons are the constants in operator/constants.ts. Emitting never fails a reconcile: an Event is a
// hint for humans, and losing one must not requeue the object.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/logging.ts';
import type { KObject, KubeClient } from './kube.ts';
import type { EventSpec } from './status.ts';

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The API server caps `note` at 1 kB. */
const MAX_NOTE = 1024;

export interface EventSink {
  emit(regarding: KObject, event: EventSpec): Promise<void>;
}

export class EventRecorder implements EventSink {
  constructor(
    readonly client: KubeClient,
    readonly opts: { controller: string; instance: string; log: Logger; now?: () => number },
  ) {}

  async emit(regarding: KObject, event: EventSpec): Promise<void> {
    const now = this.opts.now?.() ?? Date.now();
    const { name, namespace, uid, resourceVersion } = regarding.metadata;
    const body: KObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        // Same scheme as client-go's recorder: the object's name plus a unique suffix.
        name: `${name}.${now.toString(16)}${randomBytes(2).toString('hex')}`,
        namespace: namespace ?? 'default',
      },
      eventTime: microTime(now),
      reportingController: this.opts.controller,
      reportingInstance: this.opts.instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 3)}...` : event.note,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name,
        ...(namespace ? { namespace } : {}),
        ...(uid ? { uid } : {}),
        ...(resourceVersion ? { resourceVersion } : {}),
      },
    };
    try {
      await this.client.create(body);
    } catch (err) {
      this.opts.log.warn('could not record event', {
        reason: event.reason,
        'k8s.object': `${namespace}/${name}`,
        err: (err as Error).message,
      });
    }
  }
}
