/**
 * The stand-in's gRPC services: Baton's TaskQueue (submit, get, watch) and WorkerService
 * (Connect, KeepAlive), answering at once from memory. The other TaskQueue methods answer
 * UNIMPLEMENTED: benchmarks do not call them.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { BatonError, InvalidArgumentError, NotFoundError } from '../../shared/errors';
import { toStatusObject } from '../../shared/grpc-status';
import type { Logger } from '../../shared/logger';
import { TaskState, type Task } from '../../shared/gen/baton/v1/task';
import type { TaskQueueServer, WatchTaskRequest, WatchTaskResponse } from '../../shared/gen/baton/v1/task_queue';
import type { WorkerServiceServer } from '../../shared/gen/baton/v1/worker_service';
import { StandInWorkerStream, type WelcomeTerms } from './standin-worker-stream';
import type { TaskBook } from './standin-tasks';
import type { WorkerHub } from './standin-workers';

/** As the real coordinator (api/task-queue-service.ts MAX_BATCH_SIZE). */
const MAX_BATCH_SIZE = 10_000;
const EMPTY = Buffer.alloc(0);
const TERMINAL: ReadonlySet<TaskState> = new Set([TaskState.TASK_STATE_SUCCEEDED, TaskState.TASK_STATE_DEAD, TaskState.TASK_STATE_CANCELED]);

type WatchCall = ServerWritableStream<WatchTaskRequest, WatchTaskResponse>;

export interface StandInServiceDeps {
  readonly book: TaskBook;
  readonly hub: WorkerHub;
  readonly terms: WelcomeTerms;
  readonly now: () => number;
  readonly logger: Logger;
  /** Told of each accepted submission, for the submitted metric. */
  readonly submitted: (queue: string, count: number) => void;
}

/** The open watches, so that shutdown can end them (grpc-js waits for open streams). */
export class OpenWatches {
  private readonly calls = new Set<WatchCall>();

  add(call: WatchCall, stop: () => void): void {
    this.calls.add(call);
    call.on('cancelled', () => this.remove(call, stop));
    call.on('finish', () => this.remove(call, stop));
  }

  closeAll(message: string): void {
    for (const call of [...this.calls]) endWithError(call, new BatonError('UNAVAILABLE', message));
    this.calls.clear();
  }

  private remove(call: WatchCall, stop: () => void): void {
    this.calls.delete(call);
    stop();
  }
}

export function createStandInTaskQueue(deps: StandInServiceDeps, watches: OpenWatches): TaskQueueServer {
  const { book, hub, now } = deps;
  const log = deps.logger.child({ component: 'task-queue-api' });
  const accept = (tasks: Task[]): void => {
    for (const task of tasks) deps.submitted(task.queue, 1);
    hub.requestDispatch();
  };
  const unimplemented = <Req, Res>(method: string) => (_call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void =>
    callback(toStatusObject(new BatonError('UNIMPLEMENTED', `${method}: the transport stand-in has no store to answer it from`)));
  return {
    submitTask: (call, callback) =>
      answer(log, callback, () => {
        const [response] = book.submit([call.request], now());
        if (response && !response.deduplicated && response.task) accept([response.task]);
        return response ?? { task: undefined, deduplicated: false };
      }),
    submitTasks: (call, callback) =>
      answer(log, callback, () => {
        const requests = call.request.tasks;
        if (requests.length === 0) throw new InvalidArgumentError('tasks: must not be empty');
        if (requests.length > MAX_BATCH_SIZE) throw new InvalidArgumentError(`tasks: ${requests.length} tasks is over the batch limit of ${MAX_BATCH_SIZE}`);
        const responses = book.submit(requests, now());
        accept(responses.flatMap((r) => (r.deduplicated || !r.task ? [] : [r.task])));
        return { responses };
      }),
    getTask: (call, callback) =>
      answer(log, callback, () => {
        const task = book.get(call.request.id);
        if (!task) throw new NotFoundError(`task ${call.request.id} not found`);
        return { task };
      }),
    watchTask: (call) => watchTask(call, book, watches),
    cancelTask: unimplemented('CancelTask'),
    listTasks: unimplemented('ListTasks'),
    retryTask: unimplemented('RetryTask'),
    getStats: unimplemented('GetStats'),
    createSchedule: unimplemented('CreateSchedule'),
    updateSchedule: unimplemented('UpdateSchedule'),
    deleteSchedule: unimplemented('DeleteSchedule'),
    getSchedule: unimplemented('GetSchedule'),
    listSchedules: unimplemented('ListSchedules'),
    pauseSchedule: unimplemented('PauseSchedule'),
    resumeSchedule: unimplemented('ResumeSchedule'),
    triggerSchedule: unimplemented('TriggerSchedule'),
    updateQueue: unimplemented('UpdateQueue'),
    getQueue: unimplemented('GetQueue'),
    listQueues: unimplemented('ListQueues'),
    pauseQueue: unimplemented('PauseQueue'),
    resumeQueue: unimplemented('ResumeQueue'),
    listWorkers: unimplemented('ListWorkers'),
    watchStats: (call) => call.emit('error', toStatusObject(new BatonError('UNIMPLEMENTED', 'WatchStats: the transport stand-in has no engine to watch'))),
  };
}

export function createStandInWorkerService(deps: StandInServiceDeps): WorkerServiceServer {
  const log = deps.logger.child({ component: 'worker-api' });
  return {
    connect: (call) => new StandInWorkerStream(call, deps.hub, deps.terms, log).start(),
    keepAlive: (call, callback) => answer(log, callback, () => ({ sessionAlive: deps.hub.keepAlive(call.request.workerId, call.request.sessionId) })),
  };
}

/**
 * The task now, then each new version, ending after a terminal one (api/task-watch.ts):
 * without payload and result, and with the attempts only in the last message.
 */
function watchTask(call: WatchCall, book: TaskBook, watches: OpenWatches): void {
  const id = call.request.id;
  const task = book.get(id);
  if (!task) {
    endWithError(call, new NotFoundError(`task ${id} not found`));
    return;
  }
  let done = false;
  const send = (version: Task): void => {
    if (done) return;
    const terminal = TERMINAL.has(version.state);
    call.write({ task: { ...version, payload: EMPTY, result: EMPTY, attempts: terminal ? version.attempts : [] } });
    if (terminal) {
      done = true;
      stop();
      call.end();
    }
  };
  const stop = TERMINAL.has(task.state) ? () => undefined : book.watch(id, send);
  watches.add(call, stop);
  send(task);
}

function answer<Res>(log: Logger, callback: sendUnaryData<Res>, handler: () => Res): void {
  let response: Res;
  try {
    response = handler();
  } catch (err: unknown) {
    if (!(err instanceof BatonError)) log.error({ err }, 'request failed');
    callback(toStatusObject(err));
    return;
  }
  callback(null, response);
}

function endWithError(call: { emit(event: 'error', error: unknown): boolean }, err: unknown): void {
  const status = toStatusObject(err);
  call.emit('error', { code: status.code, details: status.details, metadata: status.metadata });
}
