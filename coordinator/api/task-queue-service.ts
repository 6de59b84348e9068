import { InvalidArgumentError, PermissionDeniedError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { TaskState as WireState } from '../../shared/gen/baton/v1/task';
import type { ListTasksRequest, TaskQueueServer } from '../../shared/gen/baton/v1/task_queue';
import type { Clock } from '../../shared/clock';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../shared/limits';
import type { Engine } from '../core/engine';
import type { TaskFilter } from '../core/task-store';
import type { TaskRecord } from '../core/task';
import { requireQueue, requireRole } from '../security/authenticator';
import type { Principal } from '../security/principal';
import { connectionOf, type CallGuard } from './call-guard';
import { fromWireState, toWireTask } from './convert';
import { checkName } from './names';
import { toWireStats, toWireWorkers } from './stats';
import { StatsWatch, statsInterval } from './stats-watch';
import { SharedStatsSnapshots } from './shared-stats-snapshots';
import { NO_REJECTION_COUNTS, rejectionReason, tasksInBatch, type SubmissionRejections } from './submission-rejections';
import { withSubmissionTrace } from './submission-trace';
import { validateSubmission } from './submit-validation';
import type { SubmitPolicy } from './task-defaults';
import { TaskWatch } from './task-watch';
import { queueHandlers } from './queue-handlers';
import { scheduleHandlers } from './schedule-handlers';
import { endStreamWithError, unary } from './unary';
import type { WatchLimiter } from './watch-limits';

export const MAX_BATCH_SIZE = 10_000;
/** Queues in a GetStats response unless the coordinator says otherwise: twice the default maxQueues. */
export const DEFAULT_MAX_STATS_QUEUES = 2000;

const CLIENT_ROLES = ['client'] as const;

export interface TaskQueueServiceDeps {
  readonly engine: Engine;
  readonly policy: SubmitPolicy;
  readonly clock: Clock;
  readonly guard: CallGuard;
  readonly watches: WatchLimiter;
  readonly logger: Logger;
  /** Where refused submissions are counted. Default: nowhere. */
  readonly rejections?: SubmissionRejections;
  /** Queues in a GetStats response at most. Default {@link DEFAULT_MAX_STATS_QUEUES}. */
  readonly maxStatsQueues?: number;
}

/**
 * The TaskQueue gRPC service: translates the wire to Engine calls and back. Every method
 * needs the client role (or admin); a credential limited to queues reaches only their tasks
 * (and, in GetStats, only their queues and the workers serving them).
 */
export function createTaskQueueService(deps: TaskQueueServiceDeps): TaskQueueServer {
  const { engine, policy, clock, guard } = deps;
  const log = deps.logger.child({ component: 'task-queue-api' });
  const track = guard.track.bind(guard);
  const current = guard.current.bind(guard);
  const rejections = deps.rejections ?? NO_REJECTION_COUNTS;
  const maxStatsQueues = deps.maxStatsQueues ?? DEFAULT_MAX_STATS_QUEUES;
  const sharedStats = new SharedStatsSnapshots((caller, history) => toWireStats(engine.stats(), caller, maxStatsQueues, history));
  /** The task, once the caller is allowed its queue. */
  const taskFor = async (caller: Principal, id: string, what: string): Promise<TaskRecord> => {
    const { task } = await engine.get(checkId(id));
    requireQueue(caller, task.queue, what);
    return task;
  };
  return {
    ...scheduleHandlers({ engine, policy, clock, guard }),
    ...queueHandlers(engine, guard),
    submitTask: unary(guard, 'SubmitTask', CLIENT_ROLES, async (request, caller) => {
      const spec = withSubmissionTrace(validateSubmission(request, policy, clock.now()));
      requireQueue(caller, spec.queue, 'SubmitTask');
      const [outcome] = await engine.submit([spec]);
      return { task: outcome && toWireTask(outcome.task), deduplicated: outcome?.deduplicated ?? false };
    }, (err) => rejections.rejected(rejectionReason(err), 1)),
    submitTasks: unary(guard, 'SubmitTasks', CLIENT_ROLES, async (request, caller) => {
      if (request.tasks.length === 0) throw new InvalidArgumentError('tasks: must not be empty');
      if (request.tasks.length > MAX_BATCH_SIZE) {
        throw new InvalidArgumentError(`tasks: ${request.tasks.length} tasks is over the batch limit of ${MAX_BATCH_SIZE}`);
      }
      const nowMs = clock.now();
      const specs = request.tasks.map((item, index) => withSubmissionTrace(validateSubmission(item, policy, nowMs, `tasks[${index}].`)));
      specs.forEach((spec, index) => requireQueue(caller, spec.queue, `SubmitTasks tasks[${index}]`));
      const outcomes = await engine.submit(specs);
      return { responses: outcomes.map((outcome) => ({ task: toWireTask(outcome.task), deduplicated: outcome.deduplicated })) };
    }, (err, request) => rejections.rejected(rejectionReason(err), tasksInBatch(request))),
    getTask: unary(guard, 'GetTask', CLIENT_ROLES, async (request, caller) => {
      await taskFor(caller, request.id, 'GetTask');
      const view = await engine.get(request.id);
      return { task: toWireTask(view.task, view.attempts) };
    }),
    cancelTask: unary(guard, 'CancelTask', CLIENT_ROLES, async (request, caller) => {
      await taskFor(caller, request.id, 'CancelTask');
      const view = await engine.cancel(request.id);
      return { task: toWireTask(view.task, view.attempts) };
    }),
    retryTask: unary(guard, 'RetryTask', CLIENT_ROLES, async (request, caller) => {
      await taskFor(caller, request.id, 'RetryTask');
      const view = await engine.retry(request.id);
      return { task: toWireTask(view.task, view.attempts) };
    }),
    getStats: unary(guard, 'GetStats', CLIENT_ROLES, (request, caller) => Promise.resolve(toWireStats(engine.stats(), caller, maxStatsQueues, request.history))),
    listWorkers: unary(guard, 'ListWorkers', CLIENT_ROLES, (_request, caller) => Promise.resolve({ workers: toWireWorkers(engine.stats(), caller) })),
    watchStats: (call) => {
      try {
        const { request, caller } = guard.admit(call, call.request, 'WatchStats', CLIENT_ROLES);
        const intervalMs = statsInterval(request);
        const release = deps.watches.acquire(connectionOf(call));
        const watch = new StatsWatch(call, { clock, snapshot: (current, history, tickMs) => sharedStats.get(current, history, tickMs), stallMs: deps.watches.options.stallMs, release, track, onClose: (listener) => engine.onClose(listener) }, caller, intervalMs, request.history);
        watch.start((current) => requireRole(current, CLIENT_ROLES, 'WatchStats'));
      } catch (err: unknown) {
        guard.failed(call, 'WatchStats', err);
        endStreamWithError(call, err);
      }
    },
    listTasks: unary(guard, 'ListTasks', CLIENT_ROLES, async (request, caller) => {
      const page = await engine.list(listFilter(request, caller), request.pageSize || DEFAULT_PAGE_SIZE, decodePageToken(request.pageToken));
      return {
        tasks: page.tasks.map((task) => toWireTask(task)),
        nextPageToken: page.nextBeforeId === undefined ? '' : encodePageToken(page.nextBeforeId),
      };
    }),
    watchTask: (call) => {
      let watch: TaskWatch | undefined;
      try {
        const { request, caller } = guard.admit(call, call.request, 'WatchTask', CLIENT_ROLES);
        const taskId = checkId(request.id);
        const release = deps.watches.acquire(connectionOf(call));
        watch = new TaskWatch(call, { engine, clock, log, stallMs: deps.watches.options.stallMs, release, track, current });
        const started = watch;
        started.start(taskId, caller, watchAccess).catch((err: unknown) => {
          guard.failed(call, 'WatchTask', err);
          started.fail(err);
        });
      } catch (err: unknown) {
        guard.failed(call, 'WatchTask', err);
        if (watch) watch.fail(err);
        else new TaskWatch(call, { engine, clock, log, stallMs: 0, release: () => undefined, track, current }).fail(err);
      }
    },
  };
}

/** A watcher needs the client role and the task's queue, at the start and after every credentials reload. */
function watchAccess(caller: Principal, task: TaskRecord): void {
  requireRole(caller, CLIENT_ROLES, 'WatchTask');
  requireQueue(caller, task.queue, 'WatchTask');
}

function listFilter(request: ListTasksRequest, caller: Principal): TaskFilter {
  if (request.pageSize > MAX_PAGE_SIZE) throw new InvalidArgumentError(`page_size: over the limit of ${MAX_PAGE_SIZE}`);
  const state = request.state === WireState.TASK_STATE_UNSPECIFIED ? undefined : fromWireState(request.state);
  if (request.state !== WireState.TASK_STATE_UNSPECIFIED && state === undefined) {
    throw new InvalidArgumentError(`state: ${request.state} is not a task state`);
  }
  if (request.queue !== '') checkName(request.queue, 'queue');
  if (request.type !== '') checkName(request.type, 'type');
  if (request.queue === '' && caller.queues !== null) {
    throw new PermissionDeniedError(`ListTasks: this credential is limited to queues ${[...caller.queues].join(', ')}; name one of them in queue (baton list --queue)`);
  }
  if (request.queue !== '') requireQueue(caller, request.queue, 'ListTasks');
  if (request.schedule !== '') checkName(request.schedule, 'schedule');
  const createdFromMs = timeBound(request.createdAfter, 'created_after');
  const createdBeforeMs = timeBound(request.createdBefore, 'created_before');
  return {
    ...(request.queue ? { queue: request.queue } : {}),
    ...(request.type ? { type: request.type } : {}),
    ...(state ? { state } : {}),
    ...(request.schedule ? { schedule: request.schedule } : {}),
    ...(createdFromMs !== undefined ? { createdFromMs } : {}),
    ...(createdBeforeMs !== undefined ? { createdBeforeMs } : {}),
  };
}

/** A listing's time bound; ids hold 48-bit millisecond times, so bounds outside them are refused. */
function timeBound(date: Date | undefined, field: string): number | undefined {
  if (date === undefined) return undefined;
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms < 0 || ms >= 2 ** 48) throw new InvalidArgumentError(`${field}: not a time a task can have been created at`);
  return ms;
}

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkId(id: string): string {
  if (id === '') throw new InvalidArgumentError('id: must not be empty');
  if (!TASK_ID.test(id)) throw new InvalidArgumentError(`id: "${id.slice(0, 64)}" is not a task id (a lowercase UUID)`);
  return id;
}

function encodePageToken(beforeId: string): string {
  return Buffer.from(beforeId, 'utf8').toString('base64url');
}

function decodePageToken(token: string): string | undefined {
  if (token === '') return undefined;
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (!TASK_ID.test(id)) throw new InvalidArgumentError('page_token: not a token from a previous ListTasks response');
  return id;
}
