import type { QueueSettingsOverride } from './queue-settings';

/** Timing and limits the core enforces; compiled from the coordinator's configuration. */
export interface EngineOptions {
  /** How often workers must heartbeat (told to them in Welcome). */
  readonly heartbeatIntervalMs: number;
  /** A session silent this long is dead; an orphaned lease waits this long to be reclaimed. */
  readonly leaseTimeoutMs: number;
  /** What any number of callers together can make the core hold. Default {@link DEFAULT_ENGINE_LIMITS}. */
  readonly limits?: EngineLimits;
  /** Settings of named queues from the config file (UpdateQueue's stored ones override them). */
  readonly queues?: ReadonlyMap<string, QueueSettingsOverride>;
  /** Settings of every queue from the config file (retention), under each queue's own. */
  readonly queueDefaults?: QueueSettingsOverride;
  /** Retention of finished tasks. Default {@link DEFAULT_RETENTION}. */
  readonly retention?: RetentionOptions;
  /** Schedules at most. Default {@link DEFAULT_MAX_SCHEDULES}. Setting `maxSchedules`. */
  readonly maxSchedules?: number;
  /** Payload bytes of all schedules' task templates, which are held in memory. Default {@link DEFAULT_MAX_SCHEDULE_BYTES}. Setting `maxScheduleBytes`. */
  readonly maxScheduleBytes?: number;
}

/** How finished tasks are deleted once their queue's retention passed. */
export interface RetentionOptions {
  /** How often a sweep runs. */
  readonly sweepIntervalMs: number;
  /** Tasks deleted per transaction: small, so that dispatch never waits long behind one. */
  readonly batchSize: number;
  /** Batches per sweep at most; the rest waits for the next sweep. */
  readonly maxBatchesPerSweep: number;
  /** Pages given back to the file system after a sweep that deleted something. */
  readonly reclaimPages: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  sweepIntervalMs: 60_000,
  batchSize: 500,
  maxBatchesPerSweep: 100,
  reclaimPages: 4096,
};

export const DEFAULT_MAX_SCHEDULES = 100_000;
export const DEFAULT_MAX_SCHEDULE_BYTES = 64 * 1024 * 1024;

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
