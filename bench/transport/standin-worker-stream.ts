/**
 * One worker's Connect stream on the stand-in, with the real coordinator's message shapes
 * (coordinator/api/worker-stream.ts): Hello → Welcome, then heartbeats, credit, results and
 * drain one way; leases, cancels and result acks the other. It honours back-pressure as the
 * real one does: while the send buffer is full the session takes no leases and the stream
 * reads nothing more.
 */
import { Metadata, status as GrpcStatus, type ServerDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { DEFAULT_QUEUE } from '../../shared/default-queue';
import { BatonError, FailedPreconditionError, InvalidArgumentError } from '../../shared/errors';
import { toStatusObject } from '../../shared/grpc-status';
import type { Logger } from '../../shared/logger';
import { msToDuration } from '../../shared/proto-time';
import { CancelReason, type ConnectRequest, type ConnectResponse, type Hello, type Lease } from '../../shared/gen/baton/v1/worker_service';
import { leaseMessages } from '../../coordinator/api/worker-messages';
import type { SessionChannel, WorkerHub } from './standin-workers';

/** As the real coordinator: leases go out in messages of about this many payload bytes at most (one lease at least). */
/** The real coordinator's largest concurrency (shared/limits.ts). */
const MAX_CONCURRENCY = 10_000;

export type StandInConnectCall = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/** The timing contract a Welcome states: the real coordinator's defaults. */
export interface WelcomeTerms {
  readonly heartbeatIntervalMs: number;
  readonly leaseTimeoutMs: number;
  readonly maxResultBytes: number;
}

export class StandInWorkerStream implements SessionChannel {
  private sessionId: string | undefined;
  private closed = false;
  private blocked = false;

  constructor(
    private readonly call: StandInConnectCall,
    private readonly hub: WorkerHub,
    private readonly terms: WelcomeTerms,
    private readonly log: Logger,
  ) {}

  get writable(): boolean {
    return !this.blocked && !this.closed;
  }

  start(): void {
    this.call.on('data', (request: ConnectRequest) => this.receive(request));
    this.call.on('drain', () => {
      this.blocked = false;
      this.call.resume();
      this.hub.requestDispatch();
    });
    this.call.on('end', () => {
      this.disconnect();
      if (!this.closed) this.call.end();
      this.closed = true;
    });
    this.call.on('cancelled', () => this.ended());
    this.call.on('error', (err: unknown) => {
      this.log.debug({ err }, 'worker stream error');
      this.ended();
    });
  }

  sendLeases(leases: readonly Lease[]): void {
    for (const message of leaseMessages(leases, (lease) => lease.payload.length)) {
      this.write({ message: { $case: 'leases', value: { leases: message } } });
    }
  }


  sendUnknownLeases(leaseIds: readonly string[]): void {
    const value = { leaseIds: [...leaseIds], reason: CancelReason.CANCEL_REASON_UNKNOWN_LEASE, message: 'not current: expired, reassigned, or never granted to this session' };
    this.write({ message: { $case: 'cancel', value } });
  }

  close(message: string): void {
    this.fail(new BatonError('UNAVAILABLE', message));
  }

  private receive(request: ConnectRequest): void {
    if (this.closed) return;
    try {
      this.dispatch(request);
    } catch (err: unknown) {
      if (!(err instanceof BatonError)) this.log.error({ err }, 'worker message failed');
      this.disconnect();
      this.fail(err);
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
    if (sessionId === undefined) throw new FailedPreconditionError(`the first message on a Connect stream must be hello, got ${message.$case}`);
    switch (message.$case) {
      case 'heartbeat':
        this.hub.heartbeat(sessionId, message.value.leaseIds, message.value.leasesReceived);
        return;
      case 'credit':
        this.hub.credit(sessionId, message.value.slots);
        return;
      case 'drain':
        this.hub.drain(sessionId);
        return;
      case 'results':
        this.write({ message: { $case: 'resultAcks', value: { acks: this.hub.report(sessionId, message.value.results) } } });
        return;
    }
  }

  private hello(hello: Hello): void {
    if (this.sessionId !== undefined) throw new FailedPreconditionError('hello: already sent on this stream');
    if (hello.workerId === '') throw new InvalidArgumentError('hello.worker_id: must not be empty');
    if (hello.concurrency < 1 || hello.concurrency > MAX_CONCURRENCY) {
      throw new InvalidArgumentError(`hello.concurrency: must be between 1 and ${MAX_CONCURRENCY}, got ${hello.concurrency}`);
    }
    const queues = hello.queues.length === 0 ? [DEFAULT_QUEUE] : [...new Set(hello.queues)];
    const spec = { workerId: hello.workerId, queues, types: hello.taskTypes, concurrency: hello.concurrency, heldLeaseIds: [...new Set(hello.heldLeaseIds)] };
    const opened = this.hub.open(spec, this);
    this.sessionId = opened.sessionId;
    const welcome = {
      sessionId: opened.sessionId,
      heartbeatInterval: msToDuration(this.terms.heartbeatIntervalMs),
      leaseTimeout: msToDuration(this.terms.leaseTimeoutMs),
      reclaimedLeaseIds: [],
      maxResultBytes: this.terms.maxResultBytes,
      resumeSecret: opened.resumeSecret,
    };
    this.write({ message: { $case: 'welcome', value: welcome } });
    // Leases of an earlier stream went back to the queue when it ended: the worker must abort them.
    if (opened.unknownLeaseIds.length > 0) this.sendUnknownLeases(opened.unknownLeaseIds);
    this.log.info({ worker_id: hello.workerId, session_id: opened.sessionId, queues, concurrency: hello.concurrency }, 'worker connected');
  }

  private write(response: ConnectResponse): void {
    if (this.closed) return;
    if (!this.call.write(response) && !this.blocked) {
      this.blocked = true;
      this.call.pause();
    }
  }

  private disconnect(): void {
    if (this.sessionId === undefined) return;
    const sessionId = this.sessionId;
    this.sessionId = undefined;
    this.hub.disconnect(sessionId);
  }

  private ended(): void {
    this.disconnect();
    this.closed = true;
  }

  /** Ends the stream with `err`'s status, as the real coordinator's endStreamWithError. */
  private fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    const status: StatusObject = err instanceof BatonError ? toStatusObject(err) : { code: GrpcStatus.INTERNAL, details: 'internal error', metadata: new Metadata() };
    this.call.emit('error', { code: status.code, details: status.details, metadata: status.metadata });
  }
}
