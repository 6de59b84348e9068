import { makeGenericClientConstructor, status as GrpcStatus, type ClientDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { grpcChannelSecurity, type ConnectionSecurity } from '../shared/connection-security';
import {
  ConnectRequest,
  WorkerServiceClient,
  WorkerServiceService,
  type ConnectResponse,
  type ProgressReport,
  type TaskResult,
} from '../shared/gen/baton/v1/worker_service';
import { OrderedWriter } from './ordered-writer';
import { DEFAULT_RECONNECT_BACKOFF } from './options';
import type { HelloMessage, LinkFactory, LinkHandlers, WorkerLink } from './worker-link';

/**
 * The generated client, but for one copy: the generated serializer copies every encoded
 * request once more (`Buffer.from` of a Uint8Array), and a Results message carries the
 * handlers' results. The encoding is fresh for each message, so a view of it is safe.
 */
const ConnectClient = makeGenericClientConstructor(
  {
    ...WorkerServiceService,
    connect: {
      ...WorkerServiceService.connect,
      requestSerialize: (value: ConnectRequest): Buffer => {
        const bytes = ConnectRequest.encode(value).finish();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
    },
  },
  'baton.v1.WorkerService',
) as unknown as typeof WorkerServiceClient;

/** The gRPC links of one worker: one channel to `address`, made at the first `open()`. */
export function grpcLinks(address: string, security: ConnectionSecurity): LinkFactory {
  let client: WorkerServiceClient | undefined;
  return {
    open(handlers) {
      client ??= CoordinatorLink.client(address, security);
      return new CoordinatorLink(client, handlers);
    },
    close() {
      client?.close();
    },
  };
}

/**
 * One Connect stream to the coordinator: typed senders one way, callbacks the other.
 * A new link is made for every reconnect; `closed` fires exactly once. Writes honour the
 * stream's back-pressure (ordered-writer.ts).
 */
export class CoordinatorLink implements WorkerLink {
  private readonly call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private readonly writer: OrderedWriter;
  private ended = false;

  constructor(client: Pick<WorkerServiceClient, 'connect'>, private readonly handlers: LinkHandlers) {
    this.call = client.connect();
    this.writer = new OrderedWriter(this.call);
    this.call.on('data', (response: ConnectResponse) => this.receive(response));
    this.call.on('error', (err: ServiceError) => this.finish(err));
    this.call.on('end', () => this.finish(undefined));
    this.call.on('status', (status: StatusObject) => {
      if (status.code === GrpcStatus.OK) this.finish(undefined);
    });
  }

  /** The channel every link of one worker runs on, secured with TLS and the token as configured. */
  static client(address: string, security: ConnectionSecurity): WorkerServiceClient {
    const channel = grpcChannelSecurity(security, {
      'grpc.keepalive_time_ms': 30_000,
      // grpc-js backs off its own reconnects up to 120 s: after a long outage a worker would
      // keep failing fast on a stale error for minutes after the coordinator is back. Its
      // own reconnect loop (worker.ts) already paces the attempts.
      'grpc.max_reconnect_backoff_ms': DEFAULT_RECONNECT_BACKOFF.maxMs,
      // The coordinator is trusted to size its messages; a lease carries a payload of up to its limit.
      'grpc.max_receive_message_length': -1,
    });
    return new ConnectClient(address, channel.credentials, channel.options);
  }

  send(request: ConnectRequest): void {
    if (!this.ended) this.writer.write(request);
  }

  hello(value: HelloMessage): void {
    this.send({ message: { $case: 'hello', value } });
  }

  heartbeat(leaseIds: string[], leasesReceived: number): void {
    this.send({ message: { $case: 'heartbeat', value: { leaseIds, leasesReceived } } });
  }

  credit(slots: number): void {
    if (slots > 0) this.send({ message: { $case: 'credit', value: { slots } } });
  }

  results(results: TaskResult[]): void {
    if (results.length > 0) this.send({ message: { $case: 'results', value: { results } } });
  }

  progress(reports: ProgressReport[]): boolean {
    if (reports.length === 0) return true;
    return !this.ended && this.writer.tryWrite({ message: { $case: 'progress', value: { reports } } });
  }

  drain(): void {
    this.send({ message: { $case: 'drain', value: {} } });
  }

  /** Half-closes our side once the messages held back by back-pressure are written; the coordinator then ends the stream. */
  end(): void {
    if (!this.ended) this.writer.end();
  }

  /** Drops the stream at once. */
  cancel(): void {
    this.call.cancel();
  }

  private receive(response: ConnectResponse): void {
    const message = response.message;
    if (!message) return;
    switch (message.$case) {
      case 'welcome':
        this.handlers.welcome(message.value);
        return;
      case 'leases':
        this.handlers.leases(message.value.leases);
        return;
      case 'cancel':
        this.handlers.cancel(message.value);
        return;
      case 'resultAcks':
        this.handlers.acks(message.value.acks);
        return;
    }
  }

  private finish(error: ServiceError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.close();
    this.handlers.closed(error);
  }
}
