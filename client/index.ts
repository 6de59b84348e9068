/**
 * The Baton client SDK: `BatonClient` and the helpers its users need.
 */
export {
  BatonClient,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_COORDINATOR_ADDRESS,
  type BatonClientOptions,
  type ListFilter,
  type ListResult,
  type SubmitItem,
  type SubmitResult,
} from './client';
export type { RequestOptions } from './request-options';
export { BINARY_CONTENT_TYPE, toSubmitTaskRequest, type RetryOptions, type SubmitOptions } from './submit-request';
export { ScheduleClient, type ScheduleListOptions, type ScheduleListResult } from './schedules';
export { toScheduleSpec, type CronCadence, type EveryCadence, type ScheduleOptions } from './schedule-spec';
export { toTaskTemplate, type TaskTemplateInput, type TaskTemplateOptions } from './task-template';
export {
  CATCH_UP_POLICY_NAMES,
  OVERLAP_POLICY_NAMES,
  catchUpPolicyName,
  overlapPolicyName,
  parseCatchUpPolicy,
  parseOverlapPolicy,
  type CatchUpPolicyName,
  type OverlapPolicyName,
} from './schedule-policies';
export { QueueClient } from './queues';
export { toUpdateQueueRequest, type QueueSettingsUpdate } from './queue-update';
export { REWATCH_BACKOFF, type WaitOptions } from './wait-for-task';
export {
  TASK_STATE_NAMES,
  isTerminalState,
  parseTaskState,
  taskStateName,
  type TaskStateName,
} from './task-state-names';
export { attemptOutcomeName, type AttemptOutcomeName } from './attempt-outcome-names';
export { decodeTaskPayload, decodeTaskResult } from './task-payload';
export { BatonError, type ErrorCode } from '../shared/errors';
export type { TlsOptions } from '../shared/connection-security';
export { AttemptOutcome, TaskState, type Attempt, type Progress, type RetryPolicy, type Task } from '../shared/gen/baton/v1/task';
export {
  CatchUpPolicy,
  OverlapPolicy,
  type Schedule,
  type ScheduleFire,
  type ScheduleSpec,
  type TaskTemplate,
} from '../shared/gen/baton/v1/schedule';
export type { Queue, QueueSettings } from '../shared/gen/baton/v1/queue';
export type { GetStatsResponse, QueueStats, WorkerStats } from '../shared/gen/baton/v1/stats';
