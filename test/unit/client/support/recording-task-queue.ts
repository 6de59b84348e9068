import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Queue } from '../../../../shared/gen/baton/v1/queue';
import { Schedule } from '../../../../shared/gen/baton/v1/schedule';
import { Task } from '../../../../shared/gen/baton/v1/task';
import { TaskQueueService, type WatchTaskResponse } from '../../../../shared/gen/baton/v1/task_queue';

/** One call the stand-in received: the method's name in the generated client (`createSchedule`) and the decoded request. */
export interface RecordedCall {
  readonly method: string;
  readonly request: unknown;
}

/** Answers one method; a throw of {@link grpcError} becomes that status. */
export type Answer = (request: unknown) => unknown;

/** A gRPC error for an answer to throw. */
export function grpcError(code: status, details: string): Error & { code: status; details: string } {
  return Object.assign(new Error(details), { code, details });
}

/**
 * A TaskQueue stand-in on 127.0.0.1, port 0: it records every request, decoded as the
 * coordinator would see it, and answers with `answers[method]` or a plain default built from
 * the request. WatchTask writes `watchScript` then ends.
 */
export class RecordingTaskQueue {
  readonly calls: RecordedCall[] = [];
  readonly answers: Record<string, Answer> = {};
  watchScript: Task[] = [];

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static async start(): Promise<RecordingTaskQueue> {
    const server = new Server();
    const holder: { queue?: RecordingTaskQueue } = {};
    const implementation: UntypedServiceImplementation = {};
    for (const [method, definition] of Object.entries(TaskQueueService)) {
      implementation[method] = definition.responseStream
        ? (call: ServerWritableStream<{ id: string }, WatchTaskResponse>) => holder.queue?.watch(method, call)
        : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => holder.queue?.unary(method, call, callback);
    }
    server.addService(TaskQueueService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    holder.queue = new RecordingTaskQueue(server, `127.0.0.1:${port}`);
    return holder.queue;
  }

  /** The requests of one method, in order. */
  requests<T>(method: string): T[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.request as T);
  }

  /** Forgets the calls and answers of the last test. */
  reset(): void {
    this.calls.length = 0;
    for (const key of Object.keys(this.answers)) delete this.answers[key];
    this.watchScript = [];
  }

  close(): void {
    this.server.forceShutdown();
  }

  private unary(method: string, call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void {
    this.calls.push({ method, request: call.request });
    try {
      callback(null, (this.answers[method] ?? defaultAnswer(method))(call.request));
    } catch (err: unknown) {
      callback(err as Error & { code: status });
    }
  }

  private watch(method: string, call: ServerWritableStream<{ id: string }, WatchTaskResponse>): void {
    this.calls.push({ method, request: call.request });
    for (const task of this.watchScript) call.write({ task });
    call.end();
  }
}

interface Named {
  readonly name?: string;
  readonly spec?: { readonly name: string };
  readonly settings?: Queue['settings'];
  readonly id?: string;
}

/** A plausible answer built from the request alone. */
function defaultAnswer(method: string): Answer {
  return (raw) => {
    const request = raw as Named;
    const name = request.name ?? request.spec?.name ?? '';
    if (method === 'deleteSchedule') return {};
    if (method === 'listSchedules') return { schedules: [], nextPageToken: '' };
    if (method === 'triggerSchedule') return { task: Task.fromPartial({ id: 'task-of-trigger', schedule: name }) };
    if (method.endsWith('Schedule')) return { schedule: Schedule.fromPartial({ spec: request.spec ?? { name } }) };
    if (method === 'listQueues') return { queues: [] };
    if (method.endsWith('Queue')) return { queue: Queue.fromPartial({ name, settings: request.settings }) };
    if (method === 'listTasks') return { tasks: [], nextPageToken: '' };
    if (method === 'getTask') return { task: Task.fromPartial({ id: request.id ?? '' }) };
    throw grpcError(status.UNIMPLEMENTED, `${method} is not scripted`);
  };
}
