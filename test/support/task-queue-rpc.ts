/**
 * The generated grpc-js TaskQueue client, promisified, for the RPCs the SDK does not wrap yet
 * (schedules, queues, ListTasks filters): a call that resolves with the response or rejects
 * with the ServiceError, one that expects a refusal, and ListTasks over every page.
 */
import { credentials, Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { Task } from '../../shared/gen/baton/v1/task';
import { TaskQueueClient, type ListTasksRequest, type ListTasksResponse } from '../../shared/gen/baton/v1/task_queue';

/** The last overload of a generated unary method: the one TypeScript infers `Req` and `Res` from. */
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Long enough for any call the tests make; a hung coordinator fails the call rather than the suite's timeout. */
const CALL_DEADLINE_MS = 30_000;

/** A plaintext TaskQueue client on its own connection; close it after the suite. */
export function openTaskQueue(address: string): TaskQueueClient {
  return new TaskQueueClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
}

/** One unary call: the response, or a rejection with the call's ServiceError. */
export function rpc<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, metadata: Metadata = new Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The ServiceError a call ended with; fails the test if the call succeeded. */
export async function rpcRefusal<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, metadata?: Metadata): Promise<ServiceError> {
  const outcome = await rpc(method, request, metadata).then(
    (response) => ({ failed: false as const, response }),
    (error: unknown) => ({ failed: true as const, error }),
  );
  if (!outcome.failed) throw new Error(`expected the call to be refused, it answered ${JSON.stringify(outcome.response)}`);
  expect(outcome.error).to.have.property('code');
  return outcome.error as ServiceError;
}

/** Every task ListTasks returns for `filter`, over all its pages (newest first). */
export async function listAllTasks(client: TaskQueueClient, filter: Partial<ListTasksRequest>): Promise<Task[]> {
  const tasks: Task[] = [];
  let pageToken = '';
  do {
    const page: ListTasksResponse = await rpc(client.listTasks.bind(client), {
      queue: '',
      state: 0,
      type: '',
      schedule: '',
      pageSize: 1000,
      ...filter,
      pageToken,
    });
    tasks.push(...page.tasks);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return tasks;
}
