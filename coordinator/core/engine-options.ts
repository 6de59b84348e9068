/** Timing and limits the core enforces; compiled from the coordinator's configuration. */
export interface EngineOptions {
  /** How often workers must heartbeat (told to them in Welcome). */
  readonly heartbeatIntervalMs: number;
  /** A session silent this long is dead; an orphaned lease waits this long to be reclaimed. */
  readonly leaseTimeoutMs: number;
  /** What any number of callers together can make the core hold. Default {@link DEFAULT_ENGINE_LIMITS}. */
  readonly limits?: EngineLimits;
}

/**
 * Bounds on memory that callers control. Each refusal is RESOURCE_EXHAUSTED with a message
 * naming the setting (the coordinator's config key), so an operator knows what to raise.
 */
export interface EngineLimits {
  /** Unfinished (scheduled, queued, running) tasks in total. Setting `maxQueuedTasks`. */
  readonly maxQueuedTasks: number;
  /** Unfinished tasks in any one queue. Setting `maxQueuedTasksPerQueue`. */
  readonly maxQueuedTasksPerQueue: number;
  /** Distinct queues that have unfinished tasks. Setting `maxQueues`. */
  readonly maxQueues: number;
  /** Connected worker sessions. Setting `maxWorkers`. */
  readonly maxWorkerSessions: number;
  /** Connected worker sessions of one credential, so that one cannot take every slot. Setting `maxWorkersPerCredential`. */
  readonly maxWorkerSessionsPerCredential: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  maxQueuedTasks: 1_000_000,
  maxQueuedTasksPerQueue: 1_000_000,
  maxQueues: 1_000,
  maxWorkerSessions: 10_000,
  maxWorkerSessionsPerCredential: 1_000,
};

export function limitsOf(options: EngineOptions): EngineLimits {
  return options.limits ?? DEFAULT_ENGINE_LIMITS;
}
