/**
 * The Baton client SDK: `BatonClient` and the helpers its users need.
 */
export {
  BatonClient,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_COORDINATOR_ADDRESS,
  type BatonClientOptions,
  type RequestOptions,
  type ListFilter,
  type ListResult,
  type SubmitItem,
  type SubmitResult,
} from './client';
export { BINARY_CONTENT_TYPE, toSubmitTaskRequest, type RetryOptions, type SubmitOptions } from './submit-request';
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
export { AttemptOutcome, TaskState, type Attempt, type RetryPolicy, type Task } from '../shared/gen/baton/v1/task';
export type { GetStatsResponse, QueueStats, WorkerStats } from '../shared/gen/baton/v1/stats';
