import type { ServerWritableStream } from '@grpc/grpc-js';
import { InvalidArgumentError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { TaskState as WireState } from '../../shared/gen/baton/v1/task';
import type { TaskQueueServer, WatchTaskRequest, WatchTaskResponse } from '../../shared/gen/baton/v1/task_queue';
import type { Clock } from '../../shared/clock';
import type { Engine } from '../core/engine';
import { isTerminal, type TaskRecord } from '../core/task';
import { fromWireState, toWireTask } from './convert';
import { validateSubmission } from './submit-validation';
import type { SubmitPolicy } from './task-defaults';
import { endStreamWithError, logError, unary } from './unary';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const MAX_BATCH_SIZE = 10_000;

export interface TaskQueueServiceDeps {
  readonly engine: Engine;
  readonly policy: SubmitPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The TaskQueue gRPC service: translates the wire to Engine calls and back. */
export function createTaskQueueService(deps: TaskQueueServiceDeps): TaskQueueServer {
  const { engine, policy, clock } = deps;
  const log = deps.logger.child({ component: 'task-queue-api' });
  return {
    submitTask: unary(log, 'SubmitTask', async (request) => {
      const spec = validateSubmission(request, policy, clock.now());
      const [outcome] = await engine.submit([spec]);
      return { task: outcome && toWireTask(outcome.task), deduplicated: outcome?.deduplicated ?? false };
    }),
    submitTasks: unary(log, 'SubmitTasks', async (request) => {
      if (request.requests.length === 0) throw new InvalidArgumentError('requests: must not be empty');
      if (request.requests.length > MAX_BATCH_SIZE) {
        throw new InvalidArgumentError(`requests: ${request.requests.length} tasks is over the batch limit of ${MAX_BATCH_SIZE}`);
      }
      const nowMs = clock.now();
      const specs = request.requests.map((item, index) => validateSubmission(item, policy, nowMs, `requests[${index}].`));
      const outcomes = await engine.submit(specs);
      return { responses: outcomes.map((outcome) => ({ task: toWireTask(outcome.task), deduplicated: outcome.deduplicated })) };
    }),
    getTask: unary(log, 'GetTask', async (request) => {
      const view = await engine.get(checkId(request.id));
      return { task: toWireTask(view.task, view.attempts) };
    }),
    cancelTask: unary(log, 'CancelTask', async (request) => {
      const view = await engine.cancel(checkId(request.id));
      return { task: toWireTask(view.task, view.attempts) };
    }),
    retryTask: unary(log, 'RetryTask', async (request) => {
      const view = await engine.retry(checkId(request.id));
      return { task: toWireTask(view.task, view.attempts) };
    }),
    listTasks: unary(log, 'ListTasks', async (request) => {
      if (request.pageSize > MAX_PAGE_SIZE) throw new InvalidArgumentError(`page_size: over the limit of ${MAX_PAGE_SIZE}`);
      const state = request.state === WireState.TASK_STATE_UNSPECIFIED ? undefined : fromWireState(request.state);
      if (request.state !== WireState.TASK_STATE_UNSPECIFIED && state === undefined) {
        throw new InvalidArgumentError(`state: ${request.state} is not a task state`);
      }
      const filter = {
        ...(request.queue ? { queue: request.queue } : {}),
        ...(request.type ? { type: request.type } : {}),
        ...(state ? { state } : {}),
      };
      const page = await engine.list(filter, request.pageSize || DEFAULT_PAGE_SIZE, decodePageToken(request.pageToken));
      return {
        tasks: page.tasks.map((task) => toWireTask(task)),
        nextPageToken: page.nextBeforeId === undefined ? '' : encodePageToken(page.nextBeforeId),
      };
    }),
    watchTask: (call) => {
      watchTask(engine, log, call).catch((err: unknown) => {
        logError(log, 'WatchTask', err);
        endStreamWithError(call, err);
      });
    },
  };
}

/** Sends the task now and after each committed change; ends after a terminal state. */
async function watchTask(
  engine: Engine,
  log: Logger,
  call: ServerWritableStream<WatchTaskRequest, WatchTaskResponse>,
): Promise<void> {
  const taskId = checkId(call.request.id);
  let last: { state: string; attempt: number } | undefined;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe();
    call.end();
  };
  const send = async (snapshot: TaskRecord): Promise<void> => {
    if (done || (last?.state === snapshot.state && last.attempt === snapshot.attempt)) return;
    last = { state: snapshot.state, attempt: snapshot.attempt };
    if (!isTerminal(snapshot.state)) {
      call.write({ task: toWireTask(snapshot) });
      return;
    }
    done = true; // a terminal state ends the stream: later events are ignored
    const view = await engine.get(taskId);
    call.write({ task: toWireTask(view.task, view.attempts) });
    unsubscribe();
    call.end();
  };
  const onChange = (snapshot: TaskRecord): void => {
    send(snapshot).catch((err: unknown) => {
      logError(log, 'WatchTask', err);
      finish();
    });
  };
  const onClose = (): void => {
    if (done) return;
    done = true;
    endStreamWithError(call, new UnavailableError('the coordinator is shutting down; watch again'));
  };
  const unsubscribe = engine.watch(taskId, onChange, onClose);
  call.on('cancelled', () => {
    done = true;
    unsubscribe();
  });
  try {
    const view = await engine.get(taskId);
    await send(view.task);
  } catch (err: unknown) {
    unsubscribe();
    throw err;
  }
}

function checkId(id: string): string {
  if (id === '') throw new InvalidArgumentError('id: must not be empty');
  if (id.length > 64) throw new InvalidArgumentError('id: longer than 64 characters');
  return id;
}

function encodePageToken(beforeId: string): string {
  return Buffer.from(beforeId, 'utf8').toString('base64url');
}

function decodePageToken(token: string): string | undefined {
  if (token === '') return undefined;
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new InvalidArgumentError('page_token: not a token from a previous ListTasks response');
  return id;
}
