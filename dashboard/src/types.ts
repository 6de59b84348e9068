/**
 * The proto3 JSON shapes of proto/baton/v1/*.proto that the dashboard reads. Every field
 * may be absent (proto3 JSON omits defaults), and 64-bit integers arrive as decimal strings.
 */

/** A uint64 as proto3 JSON writes it: a decimal string (a number is accepted too). */
export type Int64 = string | number;
/** A google.protobuf.Timestamp: an RFC 3339 string. */
export type Timestamp = string;
/** A google.protobuf.Duration: seconds with an `s` suffix, such as "2.500s". */
export type Duration = string;

export const TASK_STATES = [
  'TASK_STATE_SCHEDULED',
  'TASK_STATE_QUEUED',
  'TASK_STATE_RUNNING',
  'TASK_STATE_SUCCEEDED',
  'TASK_STATE_DEAD',
  'TASK_STATE_CANCELED',
] as const;
export type TaskState = (typeof TASK_STATES)[number] | 'TASK_STATE_UNSPECIFIED';

export type AttemptOutcome =
  | 'ATTEMPT_OUTCOME_UNSPECIFIED'
  | 'ATTEMPT_OUTCOME_RUNNING'
  | 'ATTEMPT_OUTCOME_SUCCEEDED'
  | 'ATTEMPT_OUTCOME_FAILED'
  | 'ATTEMPT_OUTCOME_TIMED_OUT'
  | 'ATTEMPT_OUTCOME_WORKER_LOST'
  | 'ATTEMPT_OUTCOME_CANCELED';

export interface RetryPolicy {
  initialBackoff?: Duration;
  multiplier?: number;
  maxBackoff?: Duration;
  jitter?: number;
  maxInfrastructureFailures?: number;
}

export interface Attempt {
  number?: number;
  workerId?: string;
  leaseId?: string;
  startedAt?: Timestamp;
  endedAt?: Timestamp;
  outcome?: AttemptOutcome;
  error?: string;
}

export interface Progress {
  /** In [0, 1]. */
  fraction?: number;
  message?: string;
  updatedAt?: Timestamp;
}

export interface Task {
  id: string;
  queue?: string;
  type?: string;
  state?: TaskState;
  /** A JSON value when contentType is JSON (or empty), else base64. */
  payload?: unknown;
  contentType?: string;
  priority?: number;
  attempt?: number;
  maxAttempts?: number;
  retry?: RetryPolicy;
  timeout?: Duration;
  idempotencyKey?: string;
  labels?: Record<string, string>;
  traceContext?: Record<string, string>;
  /** As payload, by resultContentType. */
  result?: unknown;
  resultContentType?: string;
  lastError?: string;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
  runAt?: Timestamp;
  finishedAt?: Timestamp;
  attempts?: Attempt[];
  infrastructureFailures?: number;
  schedule?: string;
  scheduleFireTime?: Timestamp;
  progress?: Progress;
  fairnessKey?: string;
}

export interface QueueStats {
  queue: string;
  scheduled?: Int64;
  queued?: Int64;
  running?: Int64;
  succeeded?: Int64;
  dead?: Int64;
  canceled?: Int64;
  submittedPerSecond?: number;
  completedPerSecond?: number;
  oldestReadyAge?: Duration;
  deadPerSecond?: number;
  completedHistory?: number[];
  deadHistory?: number[];
  historyBucketSeconds?: number;
  /** The queue is paused: its tasks wait. */
  paused?: boolean;
}

export interface WorkerStats {
  workerId: string;
  hostname?: string;
  queues?: string[];
  slotsInUse?: number;
  slotsTotal?: number;
  connectedSince?: Timestamp;
  lastHeartbeat?: Timestamp;
  principal?: string;
  draining?: boolean;
  omittedQueues?: number;
}

/** GetStatsResponse and WatchStatsResponse, which share a layout. */
export interface StatsSnapshot {
  queues?: QueueStats[];
  workers?: WorkerStats[];
  takenAt?: Timestamp;
  omittedQueues?: number;
}

export interface QueueSettings {
  concurrency?: number;
  rate?: number;
  burst?: number;
  weight?: number;
  paused?: boolean;
  retention?: Duration;
  deadRetention?: Duration;
}

export interface Queue {
  name: string;
  settings?: QueueSettings;
  running?: Int64;
  queued?: Int64;
  scheduled?: Int64;
}

export interface TaskTemplate {
  queue?: string;
  type?: string;
  payload?: unknown;
  contentType?: string;
  priority?: number;
  maxAttempts?: number;
  retry?: RetryPolicy;
  timeout?: Duration;
  labels?: Record<string, string>;
}

export interface ScheduleSpec {
  name: string;
  cron?: string;
  every?: Duration;
  timezone?: string;
  task?: TaskTemplate;
  overlap?: string;
  catchUp?: string;
  catchUpLimit?: number;
  startTime?: Timestamp;
  endTime?: Timestamp;
  jitter?: Duration;
}

export interface ScheduleFire {
  fireTime?: Timestamp;
  taskId?: string;
  taskState?: TaskState;
}

export interface Schedule {
  spec: ScheduleSpec;
  paused?: boolean;
  nextFireTimes?: Timestamp[];
  recentFires?: ScheduleFire[];
  lastFireTime?: Timestamp;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
  skippedFires?: Int64;
}

export interface ListTasksResponse {
  tasks?: Task[];
  nextPageToken?: string;
}

export interface ListSchedulesResponse {
  schedules?: Schedule[];
  nextPageToken?: string;
}
