import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { ProcessGroup, REPO_ROOT, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';

/**
 * A client built from the .proto files alone, as any language would: no ts-proto types,
 * no Baton code. If this works, the contract is language-neutral.
 */
interface DynamicTaskQueue extends grpc.Client {
  SubmitTask(request: object, callback: (err: grpc.ServiceError | null, response: DynamicResponse) => void): void;
  GetTask(request: object, callback: (err: grpc.ServiceError | null, response: DynamicResponse) => void): void;
  WatchTask(request: object): grpc.ClientReadableStream<DynamicResponse>;
}

interface DynamicResponse {
  task: { id: string; state: string; result: Buffer; attempt: number };
}

function call<T>(fn: (cb: (err: grpc.ServiceError | null, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

describe('the wire contract without generated TypeScript', function () {
  this.timeout(60_000);
  const group = new ProcessGroup();
  let coordinator: CoordinatorHandle;
  let client: DynamicTaskQueue;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data') });
    await startWorker(group, coordinator.address);
    const definition = protoLoader.loadSync(join(REPO_ROOT, 'proto', 'baton', 'v1', 'task_queue.proto'), {
      includeDirs: [join(REPO_ROOT, 'proto')],
      keepCase: true,
      enums: String,
      longs: Number,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      baton: { v1: { TaskQueue: new (address: string, creds: grpc.ChannelCredentials) => DynamicTaskQueue } };
    };
    client = new loaded.baton.v1.TaskQueue(coordinator.address, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it('submits a task and reads its result', async () => {
    const submitted = await call<DynamicResponse>((cb) =>
      client.SubmitTask({ type: 'noop', payload: Buffer.from(JSON.stringify({ n: 99 })), content_type: 'application/json' }, cb),
    );
    expect(submitted.task.state).to.equal('TASK_STATE_QUEUED');
    const stream = client.WatchTask({ id: submitted.task.id });
    let last: DynamicResponse | undefined;
    for await (const update of stream as AsyncIterable<DynamicResponse>) last = update;
    expect(last?.task.state).to.equal('TASK_STATE_SUCCEEDED');
    const fetched = await call<DynamicResponse>((cb) => client.GetTask({ id: submitted.task.id }, cb));
    expect(JSON.parse(fetched.task.result.toString('utf8'))).to.deep.equal({ n: 99 });
    expect(fetched.task.attempt).to.equal(1);
  });
});
