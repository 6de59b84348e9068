import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { WorkerServiceClient, ConnectRequest, ConnectResponse, Hello } from '../../shared/gen/baton/v1/worker_service';

/** Opens a Connect stream and collects what comes back until the stream ends. */
export function openStream(client: WorkerServiceClient): {
  stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  responses: ConnectResponse[];
  next: () => Promise<ConnectResponse>;
  ended: Promise<ServiceError | undefined>;
} {
  const stream = client.connect();
  const responses: ConnectResponse[] = [];
  const waiting: Array<(r: ConnectResponse) => void> = [];
  stream.on('data', (response: ConnectResponse) => {
    const waiter = waiting.shift();
    if (waiter) waiter(response);
    else responses.push(response);
  });
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    stream.on('error', (err: ServiceError) => resolve(err));
    stream.on('end', () => resolve(undefined));
  });
  const next = (): Promise<ConnectResponse> => {
    const ready = responses.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  return { stream, responses, next, ended };
}


/** A Hello with every field set: worker `w`, the default queue, concurrency 1, unless `fields` say otherwise. */
export function hello(fields: Partial<Hello>): Hello {
  return { workerId: 'w', queues: [], taskTypes: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '', ...fields };
}
