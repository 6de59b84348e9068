import { SubmitCoalescer } from './submit-coalescer';
import type { ClientOptions } from '@grpc/grpc-js';
import {
  grpcChannelSecurity,
  libraryConnectionSecurityOptions,
  loadConnectionSecurity,
  type TlsOptions,
} from '../shared/connection-security';
import { BatonError, FailedPreconditionError } from '../shared/errors';
import type { GetStatsResponse } from '../shared/gen/baton/v1/stats';
import { TaskState, type Task } from '../shared/gen/baton/v1/task';
import { TaskQueueClient, type SubmitTaskResponse } from '../shared/gen/baton/v1/task_queue';
import { toClientError } from './client-errors';
import { QueueClient } from './queues';
import type { RequestOptions } from './request-options';
import { ScheduleClient } from './schedules';
import { checkDate, toSubmitTaskRequest, type SubmitOptions } from './submit-request';
import { tracedSubmit, tracedSubmitMany } from './submit-tracing';
import { decodeTaskPayload, decodeTaskResult } from './task-payload';
import { parseTaskState } from './task-state-names';
import { callUnary, type UnaryCaller, type UnaryMethod } from './unary-call';
import { waitForTerminalTask, type WaitOptions } from './wait-for-task';
import { watchTaskStream } from './watch-stream';
import { UINT32, checkWireInteger } from './wire-integers';

/** Where the coordinator listens unless told otherwise. */
export const DEFAULT_COORDINATOR_ADDRESS = '127.0.0.1:7070';

/** Deadline of every unary call (all but watch and wait) unless `callTimeoutMs` says otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Options of {@link BatonClient}. */
export interface BatonClientOptions {
  /** The coordinator's gRPC address, `host:port`. Default {@link DEFAULT_COORDINATOR_ADDRESS}. */
  readonly address?: string;
  /** Deadline of each unary call in milliseconds. Default {@link DEFAULT_CALL_TIMEOUT_MS}. */
  readonly callTimeoutMs?: number;
  /**
   * TLS to the coordinator: a CA to trust and, for mutual TLS, a client certificate and key,
   * each a PEM file path or the PEM bytes. Default: none (plaintext).
   */
  readonly tls?: TlsOptions;
  /**
   * A bearer token, sent as `authorization: Bearer TOKEN` metadata with every call, with or
   * without TLS (without it, anyone on the path can read it). Visible ASCII, no spaces.
   * Default: none.
   */
  readonly token?: string;
  /**
   * Passed to the grpc-js client as is (keepalive, message sizes, ...). The token's
   * interceptor is added after any `interceptors` (or `interceptor_providers`) given here.
   */
  readonly channelOptions?: Partial<ClientOptions>;
  /**
   * Concurrent `submit` calls made in the same turn of the event loop share one SubmitTasks
   * call (a lone one is a SubmitTask as ever); each still resolves or rejects on its own
   * (submit-coalescer.ts). A submit with a `signal` always travels alone. Default true.
   */
  readonly coalesceSubmits?: boolean;
}

/** What {@link BatonClient.submit} resolves with. */
export interface SubmitResult {
  readonly task: Task;
  /** True when the idempotency key matched an existing task, which is the one returned. */
  readonly deduplicated: boolean;
}

/** One entry of {@link BatonClient.submitMany}. */
export interface SubmitItem {
  readonly type: string;
  readonly payload?: unknown;
  /** As for `submit`, except `signal`, which is ignored here (pass it to `submitMany`). */
  readonly options?: SubmitOptions;
}

/** Filters and paging of {@link BatonClient.list}. Unset filters match everything. */
export interface ListFilter {
  readonly queue?: string;
  /** A state, or its name: `'dead'`, `'queued'`, ... */
  readonly state?: TaskState | string;
  readonly type?: string;
  /** Only tasks submitted by this schedule's fires. */
  readonly schedule?: string;
  /** Only tasks created at or after this time. */
  readonly createdAfter?: Date;
  /** Only tasks created before this time. */
  readonly createdBefore?: Date;
  /** At most 1000; unset means the coordinator's default of 100. */
  readonly pageSize?: number;
  /** From a previous page's `nextPageToken`. */
  readonly pageToken?: string;
  readonly signal?: AbortSignal;
}

/** One page of {@link BatonClient.list}. */
export interface ListResult {
  /** Newest first, without payloads, results and attempts (`get` returns those). */
  readonly tasks: Task[];
  /** Pass as `pageToken` for the next page; empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * The TypeScript SDK of Baton: submits, inspects, watches and cancels tasks over the
 * coordinator's TaskQueue gRPC service. Every failure is a BatonError whose `code` is the
 * gRPC status (`'NOT_FOUND'`, `'INVALID_ARGUMENT'`, ...) and whose message is the server's.
 *
 * Constructing one opens no connection (that happens on the first call); it only reads the
 * TLS files given as paths, so that a wrong one fails at once. Call {@link close} when done,
 * or the open channel keeps the process alive.
 *
 * @example
 * const client = new BatonClient({ address: '127.0.0.1:7070' });
 * const { task } = await client.submit('email.send', { to: 'a@example.com' }, { maxAttempts: 5 });
 * const done = await client.wait(task.id, { timeoutMs: 30_000 });
 * console.log(client.decodeResult(done));
 * client.close();
 */
export class BatonClient {
  /** The coordinator address this client talks to. */
  readonly address: string;
  /** Create, change, inspect, pause and trigger schedules (schedules.ts). */
  readonly schedules: ScheduleClient;
  /** Queue settings (concurrency, rate, weight, retention), pause and resume (queues.ts). */
  readonly queues: QueueClient;
  private readonly callTimeoutMs: number;
  private readonly grpc: TaskQueueClient;
  private readonly coalescer: SubmitCoalescer | undefined;
  private closed = false;

  /**
   * @throws ConfigError (code INVALID_ARGUMENT) naming the option: a TLS file that cannot be
   *   read or holds no certificate or key, `tls.cert` without `tls.key` or the reverse, a key
   *   that does not match its certificate, an empty token or one with whitespace.
   */
  constructor(options: BatonClientOptions = {}) {
    this.address = options.address ?? DEFAULT_COORDINATOR_ADDRESS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const security = loadConnectionSecurity(libraryConnectionSecurityOptions(options));
    const channel = grpcChannelSecurity(security, {
      // A task read back carries its payload and result, each up to the coordinator's limit.
      'grpc.max_receive_message_length': -1,
      ...options.channelOptions,
    });
    this.grpc = new TaskQueueClient(this.address, channel.credentials, channel.options);
    const unary: UnaryCaller = (method, request, signal) => this.unary(method, request, signal);
    this.schedules = new ScheduleClient(this.grpc, unary);
    this.queues = new QueueClient(this.grpc, unary);
    if (options.coalesceSubmits ?? true) {
      this.coalescer = new SubmitCoalescer({
        sendOne: (request) => this.unary(this.grpc.submitTask.bind(this.grpc), request, undefined),
        sendMany: async (requests) => (await this.unary(this.grpc.submitTasks.bind(this.grpc), { tasks: requests }, undefined)).responses,
      });
    }
  }

  /**
   * Submits one task; resolves once the coordinator has committed it.
   * @param payload a JSON-serialisable value, or a Buffer/Uint8Array sent as is.
   * @throws BatonError INVALID_ARGUMENT, either before any I/O for an option that cannot be
   *   encoded at all (`delay: expected a duration ...`), or from the coordinator, which owns every
   *   other rule and names the wire field (`retry.multiplier: must be between 1 and 100, got 0.5`).
   */
  async submit(type: string, payload?: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    const request = toSubmitTaskRequest(type, payload, options);
    const { coalescer } = this;
    const response = await tracedSubmit(request, (traced) =>
      coalescer && !options.signal ? coalescer.submit(traced) : this.unary(this.grpc.submitTask.bind(this.grpc), traced, options.signal),
    );
    return toSubmitResult(response);
  }

  /**
   * Submits many tasks atomically: all are committed or none is. Results are in input order.
   * @throws BatonError INVALID_ARGUMENT naming the bad item: `items[3]: delay: ...` when it cannot
   *   be encoded (nothing is sent), `tasks[3].type: must not be empty` from the coordinator.
   */
  async submitMany(items: readonly SubmitItem[], options: RequestOptions = {}): Promise<SubmitResult[]> {
    const requests = items.map((item, index) => {
      try {
        return toSubmitTaskRequest(item.type, item.payload, item.options);
      } catch (err: unknown) {
        if (!(err instanceof BatonError)) throw err;
        throw new BatonError(err.code, `items[${index}]: ${err.message}`, { cause: err });
      }
    });
    const responses = await tracedSubmitMany(requests, async (traced) => {
      const response = await this.unary(this.grpc.submitTasks.bind(this.grpc), { tasks: traced }, options.signal);
      return response.responses;
    });
    return responses.map(toSubmitResult);
  }

  /**
   * The task with its payload, result and attempt history.
   * @throws BatonError NOT_FOUND for an unknown id.
   */
  async get(id: string, options: RequestOptions = {}): Promise<Task> {
    return taskOf(await this.unary(this.grpc.getTask.bind(this.grpc), { id }, options.signal));
  }

  /**
   * Cancels a task that has not finished; a running attempt is told to stop.
   * @throws BatonError FAILED_PRECONDITION when it already finished; NOT_FOUND for an unknown id.
   */
  async cancel(id: string, options: RequestOptions = {}): Promise<Task> {
    return taskOf(await this.unary(this.grpc.cancelTask.bind(this.grpc), { id }, options.signal));
  }

  /**
   * Requeues a DEAD or CANCELED task with a fresh attempt budget.
   * @throws BatonError FAILED_PRECONDITION for a task in another state; NOT_FOUND for an unknown id.
   */
  async retry(id: string, options: RequestOptions = {}): Promise<Task> {
    return taskOf(await this.unary(this.grpc.retryTask.bind(this.grpc), { id }, options.signal));
  }

  /**
   * One page of tasks, newest first.
   * @throws BatonError INVALID_ARGUMENT before any I/O for an unknown state name, a page size
   *   that is no uint32 or an invalid Date; from the coordinator for a page size over its limit
   *   or a bad page token.
   */
  async list(filter: ListFilter = {}): Promise<ListResult> {
    const request = {
      queue: filter.queue ?? '',
      state: toTaskState(filter.state),
      type: filter.type ?? '',
      pageSize: checkWireInteger(filter.pageSize ?? 0, 'pageSize', UINT32),
      pageToken: filter.pageToken ?? '',
      schedule: filter.schedule ?? '',
      createdAfter: checkDate(filter.createdAfter, 'createdAfter'),
      createdBefore: checkDate(filter.createdBefore, 'createdBefore'),
    };
    const response = await this.unary(this.grpc.listTasks.bind(this.grpc), request, filter.signal);
    return { tasks: response.tasks, nextPageToken: response.nextPageToken };
  }

  /**
   * The coordinator's figures now: per queue, tasks by state, submissions and completions
   * per second over the last minute and the oldest ready task's age; per connected worker,
   * its host, queues, slots in use and in total, when it connected and was last heard from.
   * A credential limited to queues sees only those queues and the workers serving them.
   * @throws BatonError PERMISSION_DENIED for a worker credential; UNAVAILABLE when unreachable.
   */
  async stats(options: RequestOptions & { readonly history?: boolean } = {}): Promise<GetStatsResponse> {
    return this.unary(this.grpc.getStats.bind(this.grpc), { history: options.history ?? false }, options.signal);
  }

  /**
   * The task now, then after every change of state, ending after a terminal state. Updates
   * carry neither payload nor result (use {@link get}); the last one has the attempts. The
   * underlying stream is cancelled when the loop over it ends early or `signal` aborts.
   * A stream that drops is not resumed here: {@link wait} does that.
   * @throws (while iterating) BatonError NOT_FOUND for an unknown id, UNAVAILABLE when the
   *   coordinator is unreachable or went away; the signal's reason once it aborts.
   */
  watch(id: string, signal?: AbortSignal): AsyncIterable<Task> {
    return watchTaskStream(
      () => {
        this.assertOpen();
        return this.grpc.watchTask({ id });
      },
      signal,
      (err) => toClientError(err, this.address),
    );
  }

  /**
   * Resolves with the whole task (payload, result, attempts) once it is SUCCEEDED, DEAD or
   * CANCELED (a DEAD task resolves, it does not reject: look at `task.state` and
   * `task.lastError`). Watches the task, and watches it again with backoff when the stream
   * ends early, e.g. while the coordinator restarts; then reads it once, since watch updates
   * carry no payload or result. Should that read fail, the watched task (without them) is returned.
   * @throws BatonError DEADLINE_EXCEEDED after `timeoutMs`; NOT_FOUND for an unknown id;
   *   UNAVAILABLE when the coordinator cannot be reached at all; the signal's reason once it aborts.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<Task> {
    const watched = await waitForTerminalTask(id, (signal) => this.watch(id, signal), options);
    return this.get(id, options.signal ? { signal: options.signal } : {}).catch(() => watched);
  }

  /**
   * The task's result decoded: parsed JSON (the default content type), `undefined` when there
   * is none, or a Buffer for other content types.
   * @throws BatonError INVALID_ARGUMENT when JSON content does not parse.
   */
  decodeResult(task: Pick<Task, 'result' | 'resultContentType'>): unknown {
    return decodeTaskResult(task);
  }

  /** The task's payload decoded like {@link decodeResult}. */
  decodePayload(task: Pick<Task, 'payload' | 'contentType'>): unknown {
    return decodeTaskPayload(task);
  }

  /** Closes the channel; calls made afterwards reject with FAILED_PRECONDITION. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.grpc.close();
  }

  private async unary<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    this.assertOpen();
    return callUnary(method, request, {
      deadlineMs: this.callTimeoutMs,
      signal,
      toError: (err) => toClientError(err, this.address),
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new FailedPreconditionError('BatonClient is closed');
  }
}

function toTaskState(state: TaskState | string | undefined): TaskState {
  if (state === undefined) return TaskState.TASK_STATE_UNSPECIFIED;
  return typeof state === 'string' ? parseTaskState(state) : state;
}

function taskOf(response: { task?: Task | undefined }): Task {
  if (!response.task) throw new BatonError('INTERNAL', 'the coordinator answered without a task');
  return response.task;
}

function toSubmitResult(response: SubmitTaskResponse): SubmitResult {
  return { task: taskOf(response), deduplicated: response.deduplicated };
}
