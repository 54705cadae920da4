/** A 409 from the API server: someone else changed the object; requeue without noise. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

export interface ReconcileOutcome {
  /** Reconcile again after this long even without an event. */
  requeueAfterMs?: number;
}
