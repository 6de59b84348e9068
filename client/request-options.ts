/** Options of the calls that take nothing but a way to abort them (`get`, `cancel`, schedules, queues). */
export interface RequestOptions {
  /** Aborts the call; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}
