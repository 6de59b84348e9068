import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { BatonError, FailedPreconditionError, InvalidArgumentError, type ErrorCode } from '../../shared/errors';
import { grpcStatusOf } from '../../shared/grpc-status';
import type { Logger } from '../../shared/logger';
import { msToDuration } from '../../shared/proto-time';
import {
  CancelReason as WireCancelReason,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
  type Lease,
  type TaskResult,
  type WorkerServiceServer,
} from '../../shared/gen/baton/v1/worker_service';
import type { EngineOptions } from '../core/engine-options';
import type { WorkerGateway } from '../core/worker-gateway';
import type { CancelReason, HelloSpec, LeaseGrant, ResultAck, TaskReport, WorkerChannel } from '../core/worker-channel';
import { checkName } from './names';
import { endStreamWithError, logError, unary } from './unary';

export const MAX_CONCURRENCY = 10_000;

const WIRE_CANCEL_REASON: Record<CancelReason, WireCancelReason> = {
  canceled: WireCancelReason.CANCEL_REASON_CANCELED,
  timeout: WireCancelReason.CANCEL_REASON_TIMEOUT,
  unknown_lease: WireCancelReason.CANCEL_REASON_UNKNOWN_LEASE,
};

export interface WorkerServiceDeps {
  readonly gateway: WorkerGateway;
  readonly options: EngineOptions;
  /** The largest result accepted; a bigger one fails its task. */
  readonly maxResultBytes: number;
  readonly logger: Logger;
}

/** Leases go out in messages of about this many payload bytes at most (one lease at least). */
const LEASE_MESSAGE_BYTES = 4 * 1024 * 1024;

type Call = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/** The WorkerService gRPC service: one Connect stream per worker process. */
export function createWorkerService(deps: WorkerServiceDeps): WorkerServiceServer {
  const log = deps.logger.child({ component: 'worker-api' });
  return {
    connect: (call) => new WorkerStream(call, deps, log).start(),
    keepAlive: unary(log, 'KeepAlive', (request) => {
      checkName(request.workerId, 'worker_id');
      if (request.sessionId === '') throw new InvalidArgumentError('session_id: must not be empty');
      return Promise.resolve({ sessionAlive: deps.gateway.keepAlive(request.workerId, request.sessionId) });
    }),
  };
}

/**
 * One worker's stream: Hello first, then heartbeats, credit and results; the other way,
 * Welcome, leases, cancels and result acks (see docs/protocol.md).
 */
class WorkerStream implements WorkerChannel {
  private sessionId: string | undefined;
  private closed = false;

  constructor(
    private readonly call: Call,
    private readonly deps: WorkerServiceDeps,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.call.on('data', (message: ConnectRequest) => this.receive(message));
    this.call.on('end', () => {
      this.disconnect();
      if (!this.closed) this.call.end();
      this.closed = true;
    });
    this.call.on('cancelled', () => this.disconnect());
    this.call.on('error', (err: unknown) => {
      this.log.debug({ err }, 'worker stream error');
      this.disconnect();
    });
  }

  sendLeases(grants: readonly LeaseGrant[]): void {
    let batch: Lease[] = [];
    let bytes = 0;
    for (const grant of grants) {
      if (batch.length > 0 && bytes + grant.task.payload.length > LEASE_MESSAGE_BYTES) {
        this.write({ message: { $case: 'leases', value: { leases: batch } } });
        batch = [];
        bytes = 0;
      }
      batch.push(toWireLease(grant));
      bytes += grant.task.payload.length;
    }
    if (batch.length > 0) this.write({ message: { $case: 'leases', value: { leases: batch } } });
  }

  sendCancel(leaseId: string, reason: CancelReason, message: string): void {
    this.write({ message: { $case: 'cancel', value: { leaseIds: [leaseId], reason: WIRE_CANCEL_REASON[reason], message } } });
  }

  sendAcks(acks: readonly ResultAck[]): void {
    const wire = acks.map((ack) => ({
      leaseId: ack.leaseId,
      code: ack.error ? grpcStatusOf(ack.error.code) : GrpcStatus.OK,
      message: ack.error?.message ?? '',
    }));
    this.write({ message: { $case: 'resultAcks', value: { acks: wire } } });
  }

  close(code: ErrorCode, message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.sessionId = undefined; // the gateway already let go of the session
    endStreamWithError(this.call, new BatonError(code, message));
  }

  private receive(message: ConnectRequest): void {
    if (this.closed) return;
    try {
      this.dispatch(message);
    } catch (err: unknown) {
      logError(this.log, 'Connect', err);
      this.disconnect();
      this.close(err instanceof BatonError ? err.code : 'INTERNAL', err instanceof BatonError ? err.message : 'internal error');
    }
  }

  private dispatch(request: ConnectRequest): void {
    const message = request.message;
    if (!message) throw new InvalidArgumentError('ConnectRequest: empty message (no field of the oneof is set)');
    if (message.$case === 'hello') {
      this.hello(message.value);
      return;
    }
    const sessionId = this.sessionId;
    if (sessionId === undefined) {
      throw new FailedPreconditionError(`the first message on a Connect stream must be hello, got ${message.$case}`);
    }
    const gateway = this.deps.gateway;
    switch (message.$case) {
      case 'heartbeat':
        gateway.heartbeat(sessionId, message.value.leaseIds, message.value.leasesReceived);
        return;
      case 'credit':
        if (message.value.slots < 1 || message.value.slots > MAX_CONCURRENCY) {
          throw new InvalidArgumentError(`credit.slots: must be between 1 and ${MAX_CONCURRENCY}, got ${message.value.slots}`);
        }
        gateway.credit(sessionId, message.value.slots);
        return;
      case 'drain':
        gateway.drain(sessionId);
        return;
      case 'results': {
        const reports = message.value.results.map((result, index) => toReport(result, index, this.deps.maxResultBytes));
        gateway.report(sessionId, reports).then(
          (acks) => this.sendAcks(acks),
          (err: unknown) => this.log.error({ err }, 'failed to apply results'),
        );
        return;
      }
    }
  }

  private hello(hello: Hello): void {
    if (this.sessionId !== undefined) throw new FailedPreconditionError('hello: already sent on this stream');
    const spec = validateHello(hello);
    const opened = this.deps.gateway.open(spec, this);
    this.sessionId = opened.sessionId;
    this.write({
      message: {
        $case: 'welcome',
        value: {
          sessionId: opened.sessionId,
          heartbeatInterval: msToDuration(this.deps.options.heartbeatIntervalMs),
          leaseTimeout: msToDuration(this.deps.options.leaseTimeoutMs),
          reclaimedLeaseIds: opened.reclaimedLeaseIds,
          maxResultBytes: this.deps.maxResultBytes,
          resumeSecret: '',
        },
      },
    });
    for (const leaseId of opened.unknownLeaseIds) {
      this.sendCancel(leaseId, 'unknown_lease', `lease ${leaseId} is not current; it expired or was reassigned`);
    }
  }

  private write(response: ConnectResponse): void {
    if (!this.closed) this.call.write(response);
  }

  private disconnect(): void {
    if (this.sessionId === undefined) return;
    const sessionId = this.sessionId;
    this.sessionId = undefined;
    this.deps.gateway.disconnect(sessionId);
  }
}

function validateHello(hello: Hello): HelloSpec {
  checkName(hello.workerId, 'hello.worker_id');
  if (hello.concurrency < 1 || hello.concurrency > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`hello.concurrency: must be between 1 and ${MAX_CONCURRENCY}, got ${hello.concurrency}`);
  }
  const queues = hello.queues.length === 0 ? ['default'] : hello.queues;
  queues.forEach((queue, index) => checkName(queue, `hello.queues[${index}]`));
  hello.taskTypes.forEach((type, index) => checkName(type, `hello.task_types[${index}]`));
  return {
    workerId: hello.workerId,
    queues: [...new Set(queues)],
    types: hello.taskTypes,
    concurrency: hello.concurrency,
    heldLeaseIds: hello.heldLeaseIds,
  };
}

function toReport(result: TaskResult, index: number, maxResultBytes: number): TaskReport {
  const outcome = result.outcome;
  if (result.leaseId === '') throw new InvalidArgumentError(`results[${index}].lease_id: must not be empty`);
  if (!outcome) throw new InvalidArgumentError(`results[${index}]: neither success nor failure is set`);
  if (outcome.$case === 'success' && outcome.value.result.length > maxResultBytes) {
    // Storing it would break the limit every reader relies on; retrying would make the same result.
    const message = `result of ${outcome.value.result.length} bytes exceeds the limit of ${maxResultBytes} bytes`;
    return { leaseId: result.leaseId, kind: 'failure', message, nonRetryable: true };
  }
  if (outcome.$case === 'success') {
    return { leaseId: result.leaseId, kind: 'success', result: Buffer.from(outcome.value.result), contentType: outcome.value.contentType || 'application/json' };
  }
  return { leaseId: result.leaseId, kind: 'failure', message: outcome.value.message || 'handler failed', nonRetryable: outcome.value.nonRetryable };
}

function toWireLease({ lease, task }: LeaseGrant): Lease {
  return {
    leaseId: lease.leaseId,
    taskId: task.id,
    queue: task.queue,
    type: task.type,
    payload: task.payload,
    contentType: task.contentType,
    attempt: lease.attempt,
    maxAttempts: task.maxAttempts,
    timeout: task.timeoutMs > 0 ? msToDuration(task.timeoutMs) : undefined,
    deadline: lease.deadlineMs === null ? undefined : new Date(lease.deadlineMs),
    labels: { ...task.labels },
    traceContext: { ...task.traceContext },
  };
}
