/**
 * Whether the coordinator takes work, as /readyz reports it:
 *
 *   starting --store open, queues rebuilt, gRPC bound--> ready --shutdown begins--> draining
 *   any state --the store failed a write--> store_failed
 *
 * It only moves forward (starting < ready < draining < store_failed): a store failure stays
 * visible through the shutdown it causes, and nothing goes back to ready.
 */
export type ReadinessStatus = 'starting' | 'ready' | 'draining' | 'store_failed';

const ORDER: Readonly<Record<ReadinessStatus, number>> = { starting: 0, ready: 1, draining: 2, store_failed: 3 };

export class Readiness {
  private current: ReadinessStatus = 'starting';

  get status(): ReadinessStatus {
    return this.current;
  }

  get isReady(): boolean {
    return this.current === 'ready';
  }

  /** Start-up finished: the store is open, the queues are rebuilt and the gRPC port is bound. */
  ready(): void {
    this.moveTo('ready');
  }

  /** Shutdown began (or start-up failed): no new work. */
  draining(): void {
    this.moveTo('draining');
  }

  /** The store failed a write; the coordinator is going down for a restart to rebuild from it. */
  storeFailed(): void {
    this.moveTo('store_failed');
  }

  /** A later status replaces an earlier one; an earlier one never replaces a later one. */
  private moveTo(next: ReadinessStatus): void {
    if (ORDER[next] > ORDER[this.current]) this.current = next;
  }
}
