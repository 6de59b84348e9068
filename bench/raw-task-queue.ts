/**
 * The TaskQueue calls of issue 9 that the SDK does not wrap yet (UpdateQueue, CreateSchedule,
 * DeleteSchedule, ListTasks with its schedule and time filters), made through the generated
 * grpc-js client as promises, for the flow and cron parts. Plaintext, no token: the benchmarks'
 * coordinators are open on loopback.
 */
import { credentials, Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { UpdateQueueRequest, UpdateQueueResponse } from '../shared/gen/baton/v1/queue';
import type { CreateScheduleRequest, CreateScheduleResponse, DeleteScheduleRequest, DeleteScheduleResponse } from '../shared/gen/baton/v1/schedule';
import type { Task } from '../shared/gen/baton/v1/task';
import { TaskQueueClient, type GetTaskRequest, type GetTaskResponse, type ListTasksRequest, type ListTasksResponse } from '../shared/gen/baton/v1/task_queue';

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

/** ListTasks' largest page. */
const LIST_PAGE_SIZE = 1000;

export class RawTaskQueue {
  private readonly grpc: TaskQueueClient;

  /** @param deadlineMs - deadline of every call, milliseconds. */
  constructor(address: string, private readonly deadlineMs = 60_000) {
    this.grpc = new TaskQueueClient(address, credentials.createInsecure());
  }

  updateQueue(request: UpdateQueueRequest): Promise<UpdateQueueResponse> {
    return this.call(this.grpc.updateQueue.bind(this.grpc), request);
  }

  createSchedule(request: CreateScheduleRequest): Promise<CreateScheduleResponse> {
    return this.call(this.grpc.createSchedule.bind(this.grpc), request);
  }

  deleteSchedule(request: DeleteScheduleRequest): Promise<DeleteScheduleResponse> {
    return this.call(this.grpc.deleteSchedule.bind(this.grpc), request);
  }

  getTask(request: GetTaskRequest): Promise<GetTaskResponse> {
    return this.call(this.grpc.getTask.bind(this.grpc), request);
  }

  listTasks(request: ListTasksRequest): Promise<ListTasksResponse> {
    return this.call(this.grpc.listTasks.bind(this.grpc), request);
  }

  /** Every task the filters match, page after page (newest first, as ListTasks orders them). */
  async listAll(filter: Omit<ListTasksRequest, 'pageSize' | 'pageToken'>): Promise<Task[]> {
    const tasks: Task[] = [];
    let pageToken = '';
    do {
      const page = await this.listTasks({ ...filter, pageSize: LIST_PAGE_SIZE, pageToken });
      tasks.push(...page.tasks);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return tasks;
  }

  close(): void {
    this.grpc.close();
  }

  private call<Request, Response>(method: UnaryMethod<Request, Response>, request: Request): Promise<Response> {
    return new Promise((resolve, reject) => {
      method(request, new Metadata(), { deadline: Date.now() + this.deadlineMs }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }
}

/** Runs `work` on every item, `inFlight` at a time; resolves with the results in item order. */
export async function mapInFlight<T, R>(items: readonly T[], inFlight: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, lane));
  return results;
}
