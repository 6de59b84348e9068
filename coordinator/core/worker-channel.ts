import type { ErrorCode } from '../../shared/errors';
import type { Lease } from './leases';
import type { TaskRecord } from './task';

export type CancelReason = 'canceled' | 'timeout' | 'unknown_lease';

/** The principal of every caller when the coordinator has neither tokens nor client certificates. */
export const ANONYMOUS_PRINCIPAL = 'anonymous';

export interface HelloSpec {
  /** Who the credential of the stream says the caller is (see api/../security); 'anonymous' without auth. */
  readonly principal: string;
  readonly workerId: string;
  /** The host the worker says it runs on (Hello.hostname); empty if it did not say. Shown to operators, trusted for nothing. */
  readonly hostname: string;
  readonly queues: readonly string[];
  readonly types: readonly string[];
  readonly concurrency: number;
  readonly heldLeaseIds: readonly string[];
  /** From an earlier Welcome to the same process; empty on its first stream. */
  readonly resumeSecret: string;
}

export interface OpenedSession {
  readonly sessionId: string;
  /** For the worker to present on its next reconnect. */
  readonly resumeSecret: string;
  /** Held leases that are still current and now belong to this session. */
  readonly reclaimedLeaseIds: string[];
  /** Held leases the coordinator no longer knows: the worker must abort them. */
  readonly unknownLeaseIds: string[];
}

export type TaskReport =
  | { readonly leaseId: string; readonly kind: 'success'; readonly result: Buffer; readonly contentType: string }
  | { readonly leaseId: string; readonly kind: 'failure'; readonly message: string; readonly nonRetryable: boolean };

/** A lease on its way to a worker, with the task it runs. */
export interface LeaseGrant {
  readonly lease: Lease;
  readonly task: TaskRecord;
  /** The task's payload, read from the store for this lease (the ledger's record holds none). */
  readonly payload: Buffer;
}

export interface ResultAck {
  readonly leaseId: string;
  /** Undefined when the result was accepted. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/**
 * What the core needs from a worker's stream. The gRPC adapter (api/worker-service.ts)
 * implements it; tests implement it with an array.
 */
export interface WorkerChannel {
  sendLeases(grants: readonly LeaseGrant[]): void;
  /** One message for every lease canceled for the same reason at once. */
  sendCancel(leaseIds: readonly string[], reason: CancelReason, message: string): void;
  sendAcks(acks: readonly ResultAck[]): void;
  /** Ends the stream with a status; the adapter then reports the close back to the core. */
  close(code: ErrorCode, message: string): void;
  /** False while the stream's send buffer is full: dispatch sends it no leases until it drains. */
  readonly writable: boolean;
}

/** A handler's progress on one lease, as a worker reported it (validated). */
export interface ProgressReport {
  readonly leaseId: string;
  /** In [0, 1]. */
  readonly fraction: number;
  /** At most MAX_PROGRESS_MESSAGE_BYTES. */
  readonly message: string;
}

/** The longest progress message accepted, in UTF-8 bytes. */
export const MAX_PROGRESS_MESSAGE_BYTES = 512;
