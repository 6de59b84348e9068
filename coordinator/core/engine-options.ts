/** Timing the core enforces; compiled from the coordinator's configuration. */
export interface EngineOptions {
  /** How often workers must heartbeat (told to them in Welcome). */
  readonly heartbeatIntervalMs: number;
  /** A session silent this long is dead; an orphaned lease waits this long to be reclaimed. */
  readonly leaseTimeoutMs: number;
}
