import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { Task, TaskState } from '../../../../shared/gen/baton/v1/task';
import {
  TaskQueueService,
  type SubmitTaskRequest,
  type SubmitTaskResponse,
  type TaskQueueServer,
  type WatchTaskRequest,
  type WatchTaskResponse,
} from '../../../../shared/gen/baton/v1/task_queue';

const TERMINAL = new Set([TaskState.TASK_STATE_SUCCEEDED, TaskState.TASK_STATE_DEAD, TaskState.TASK_STATE_CANCELED]);

type Watch = ServerWritableStream<WatchTaskRequest, WatchTaskResponse>;

function grpcError(code: status, details: string): { code: status; details: string } {
  return { code, details };
}

/**
 * An in-memory stand-in for the coordinator's TaskQueue service, on a real socket (port 0),
 * with hooks to move tasks along and to drop watch streams the way a restart would.
 */
export class FakeTaskQueueServer {
  readonly submitted: SubmitTaskRequest[] = [];
  readonly tasks = new Map<string, Task>();
  /** Open WatchTask streams; a test that cancels a watch expects this to drain. */
  readonly watches = new Set<Watch>();
  /** Number of WatchTask calls received. */
  watchCalls = 0;
  private readonly server = new Server();
  private nextId = 1;
  private port = 0;

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server.addService(TaskQueueService, this.handlers());
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
  }

  /** Ends open watches first: grpc-js shutdown can hang on open streams. */
  stop(): void {
    this.dropWatches();
    this.server.forceShutdown();
  }

  /** Adds a task directly, as if submitted earlier. */
  put(partial: Partial<Task>): Task {
    const task = Task.fromPartial({
      id: `task-${this.nextId++}`,
      queue: 'default',
      state: TaskState.TASK_STATE_QUEUED,
      maxAttempts: 3,
      createdAt: new Date(),
      ...partial,
    });
    this.tasks.set(task.id, task);
    return task;
  }

  /** Changes a task and tells its watchers, ending their streams after a terminal state. */
  update(id: string, patch: Partial<Task>): Task {
    const current = this.tasks.get(id);
    if (!current) throw new Error(`no task ${id}`);
    const task = { ...current, ...patch };
    this.tasks.set(id, task);
    for (const watch of this.watches) {
      if (watch.request.id !== id) continue;
      watch.write({ task });
      if (TERMINAL.has(task.state)) this.endWatch(watch);
    }
    return task;
  }

  /** Ends every open watch with OK and no terminal state, as a coordinator restart would. */
  dropWatches(): void {
    for (const watch of this.watches) this.endWatch(watch);
  }

  /** Resolves once `predicate` holds, polling briefly (server-side bookkeeping is asynchronous). */
  async until(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private endWatch(watch: Watch): void {
    this.watches.delete(watch);
    watch.end();
  }

  private submitOne(request: SubmitTaskRequest): SubmitTaskResponse {
    this.submitted.push(request);
    if (request.idempotencyKey !== '') {
      const existing = [...this.tasks.values()].find((task) => task.idempotencyKey === request.idempotencyKey);
      if (existing) return { task: existing, deduplicated: true };
    }
    const { queue, type, payload, contentType, priority, maxAttempts, idempotencyKey, labels } = request;
    const task = this.put({
      ...{ type, payload, contentType, priority, idempotencyKey, labels },
      queue: queue || 'default',
      maxAttempts: maxAttempts || 3,
    });
    return { task, deduplicated: false };
  }

  private found(id: string, callback: sendUnaryData<{ task?: Task }>): Task | undefined {
    const task = this.tasks.get(id);
    if (!task) callback(grpcError(status.NOT_FOUND, `task ${id} not found`));
    return task;
  }

  private handlers(): TaskQueueServer {
    return {
      submitTask: (call, callback) => {
        if (call.request.type === '') return callback(grpcError(status.INVALID_ARGUMENT, 'type: required'));
        callback(null, this.submitOne(call.request));
      },
      submitTasks: (call, callback) => {
        callback(null, { responses: call.request.requests.map((request) => this.submitOne(request)) });
      },
      getTask: (call: ServerUnaryCall<{ id: string }, unknown>, callback) => {
        const task = this.found(call.request.id, callback);
        if (task) callback(null, { task });
      },
      cancelTask: (call, callback) => {
        const task = this.found(call.request.id, callback);
        if (!task) return;
        if (TERMINAL.has(task.state)) {
          return callback(grpcError(status.FAILED_PRECONDITION, `task ${task.id} already finished`));
        }
        callback(null, { task: this.update(task.id, { state: TaskState.TASK_STATE_CANCELED, finishedAt: new Date() }) });
      },
      retryTask: (call, callback) => {
        const task = this.found(call.request.id, callback);
        if (task) callback(null, { task: this.update(task.id, { state: TaskState.TASK_STATE_QUEUED }) });
      },
      listTasks: (call, callback) => {
        const { queue, state, type, pageSize, pageToken } = call.request;
        const matches = (task: Task): boolean =>
          (queue === '' || task.queue === queue) &&
          (state === TaskState.TASK_STATE_UNSPECIFIED || task.state === state) &&
          (type === '' || task.type === type);
        const matching = [...this.tasks.values()].reverse().filter(matches);
        const start = pageToken === '' ? 0 : Number(pageToken);
        const end = start + (pageSize || 100);
        const tasks = matching.slice(start, end).map((task) => ({ ...task, payload: Buffer.alloc(0), attempts: [] }));
        callback(null, { tasks, nextPageToken: end < matching.length ? String(end) : '' });
      },
      watchTask: (call) => {
        this.watchCalls += 1;
        const task = this.tasks.get(call.request.id);
        if (!task) {
          call.emit('error', grpcError(status.NOT_FOUND, `task ${call.request.id} not found`));
          return;
        }
        this.watches.add(call);
        call.on('cancelled', () => this.watches.delete(call));
        call.write({ task });
        if (TERMINAL.has(task.state)) this.endWatch(call);
      },
    };
  }
}
