import type { ServiceError } from '@grpc/grpc-js';
import type { Cancel, ConnectRequest, Lease, ProgressReport, ResultAck, TaskResult, Welcome } from '../shared/gen/baton/v1/worker_service';

/** Why a stream ended: the gRPC status code and its details. */
export type LinkError = Pick<ServiceError, 'code' | 'details'>;

/** What the coordinator sends, as callbacks. */
export interface LinkHandlers {
  welcome(welcome: Welcome): void;
  leases(leases: Lease[]): void;
  cancel(cancel: Cancel): void;
  acks(acks: ResultAck[]): void;
  /** The stream is over; `error` says why (undefined for a clean end). Fires exactly once. */
  closed(error: LinkError | undefined): void;
}

export type HelloMessage = Extract<ConnectRequest['message'], { $case: 'hello' }>['value'];

/**
 * One Connect stream as the worker runtime sees it: typed senders one way, {@link LinkHandlers}
 * the other. coordinator-link.ts is the gRPC one; unit tests give the runtime a fake.
 */
export interface WorkerLink {
  hello(value: HelloMessage): void;
  heartbeat(leaseIds: string[], leasesReceived: number): void;
  /** Sends nothing for 0 slots. */
  credit(slots: number): void;
  /** Sends nothing for an empty list. */
  results(results: TaskResult[]): void;
  /**
   * Sends the reports in one ProgressReports message only if the stream takes it at once.
   * While back-pressure holds messages back (or once the stream is over) it sends nothing
   * and returns false: the caller keeps coalescing, rather than queue progress behind (or
   * ahead of) results. Sends nothing for an empty list, and returns true.
   */
  progress(reports: ProgressReport[]): boolean;
  drain(): void;
  /** Half-closes our side once everything sent before has been written; the coordinator then ends the stream. */
  end(): void;
  /** Drops the stream at once. */
  cancel(): void;
}

/**
 * Opens the worker's streams: one per connection attempt, all to the same coordinator.
 * The seam between the runtime (worker.ts) and gRPC.
 */
export interface LinkFactory {
  open(handlers: LinkHandlers): WorkerLink;
  /** Releases what the links shared (the channel). Called once, when the worker has stopped. */
  close(): void;
}
