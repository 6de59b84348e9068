import { status as GrpcStatus, type ClientDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { grpcChannelSecurity, type ConnectionSecurity } from '../shared/connection-security';
import {
  WorkerServiceClient,
  type Cancel,
  type ConnectRequest,
  type ConnectResponse,
  type Lease,
  type ResultAck,
  type TaskResult,
  type Welcome,
} from '../shared/gen/baton/v1/worker_service';
import { DEFAULT_RECONNECT_BACKOFF } from './options';

export interface LinkHandlers {
  welcome(welcome: Welcome): void;
  leases(leases: Lease[]): void;
  cancel(cancel: Cancel): void;
  acks(acks: ResultAck[]): void;
  /** The stream is over; `error` says why (undefined for a clean end). */
  closed(error: ServiceError | undefined): void;
}

/**
 * One Connect stream to the coordinator: typed senders one way, callbacks the other.
 * A new link is made for every reconnect; `closed` fires exactly once.
 */
export class CoordinatorLink {
  private readonly call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private ended = false;

  constructor(client: WorkerServiceClient, private readonly handlers: LinkHandlers) {
    this.call = client.connect();
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
    return new WorkerServiceClient(address, channel.credentials, channel.options);
  }

  send(request: ConnectRequest): void {
    if (!this.ended) this.call.write(request);
  }

  hello(value: Extract<ConnectRequest['message'], { $case: 'hello' }>['value']): void {
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

  drain(): void {
    this.send({ message: { $case: 'drain', value: {} } });
  }

  /** Half-closes our side; the coordinator then ends the stream. */
  end(): void {
    if (!this.ended) this.call.end();
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
    this.handlers.closed(error);
  }
}
