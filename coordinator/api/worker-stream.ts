import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { BatonError, FailedPreconditionError, InvalidArgumentError, type ErrorCode } from '../../shared/errors';
import { grpcStatusOf } from '../../shared/grpc-status';
import { MAX_CONCURRENCY } from '../../shared/limits';
import type { Logger } from '../../shared/logger';
import { msToDuration } from '../../shared/proto-time';
import { CancelReason as WireCancelReason, type ConnectRequest, type ConnectResponse, type Hello, type ProgressReport as WireProgressReport } from '../../shared/gen/baton/v1/worker_service';
import type { EngineOptions } from '../core/engine-options';
import type { WorkerGateway } from '../core/worker-gateway';
import { MAX_PROGRESS_MESSAGE_BYTES, type CancelReason, type LeaseGrant, type ProgressReport, type ResultAck, type WorkerChannel } from '../core/worker-channel';
import type { Principal } from '../security/principal';
import { decoded, type CallGuard } from './call-guard';
import type { UndecodableMessage } from './strict-decoding';
import { endStreamWithError, logError } from './unary';
import { checkLeaseId, leaseMessages, toReport, toWireLease, validateHello, workerAccess } from './worker-messages';

export type ConnectCall = ServerDuplexStream<ConnectRequest | UndecodableMessage, ConnectResponse>;

export interface WorkerStreamOptions {
  readonly gateway: WorkerGateway;
  /** Re-checks the stream's credential after each reload (CallGuard.track). */
  readonly guard: Pick<CallGuard, 'track' | 'current' | 'failed'>;
  readonly options: EngineOptions;
  /** The largest result accepted; a bigger one fails its task. */
  readonly maxResultBytes: number;
  /** A stream that has not sent Hello by then is closed. */
  readonly helloTimeoutMs: number;
}

const WIRE_CANCEL_REASON: Record<CancelReason, WireCancelReason> = {
  canceled: WireCancelReason.CANCEL_REASON_CANCELED,
  timeout: WireCancelReason.CANCEL_REASON_TIMEOUT,
  unknown_lease: WireCancelReason.CANCEL_REASON_UNKNOWN_LEASE,
};

/**
 * One worker's stream: Hello first (within the hello timeout), then heartbeats, credit and
 * results; the other way, Welcome, leases, cancels and result acks (see docs/protocol.md).
 *
 * Back-pressure: while the stream's send buffer is full it takes no leases (dispatch skips
 * it) and reads nothing more from the worker, so a worker that does not read cannot make the
 * coordinator queue answers for it without end.
 */
export class WorkerStream implements WorkerChannel {
  private sessionId: string | undefined;
  private closed = false;
  private blocked = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private helloSettled = false;
  private untrack: () => void = () => undefined;

  constructor(
    private readonly call: ConnectCall,
    private readonly caller: Principal,
    private readonly deps: WorkerStreamOptions,
    private readonly log: Logger,
    /** Called once, when the stream stops awaiting Hello: Hello was accepted, or the stream ended first. */
    private readonly onHelloSettled: () => void,
  ) {}

  get writable(): boolean {
    return !this.blocked && !this.closed;
  }

  start(): void {
    this.helloTimer = setTimeout(() => {
      this.close('DEADLINE_EXCEEDED', `no hello within ${this.deps.helloTimeoutMs}ms of opening the stream`);
    }, this.deps.helloTimeoutMs);
    this.helloTimer.unref();
    this.call.on('data', (message: ConnectRequest | UndecodableMessage) => this.receive(message));
    this.call.on('drain', () => {
      this.blocked = false;
      this.call.resume();
      this.deps.gateway.requestDispatch();
    });
    this.call.on('end', () => {
      this.disconnect();
      if (!this.closed) this.call.end();
      this.ended();
    });
    this.call.on('cancelled', () => {
      this.disconnect();
      this.ended();
    });
    this.call.on('error', (err: unknown) => {
      this.log.debug({ err }, 'worker stream error');
      this.disconnect();
      this.ended();
    });
  }

  sendLeases(grants: readonly LeaseGrant[]): void {
    for (const message of leaseMessages(grants, (grant) => grant.payload.length)) {
      this.write({ message: { $case: 'leases', value: { leases: message.map(toWireLease) } } });
    }
  }

  sendCancel(leaseIds: readonly string[], reason: CancelReason, message: string): void {
    if (leaseIds.length === 0) return;
    this.write({ message: { $case: 'cancel', value: { leaseIds: [...leaseIds], reason: WIRE_CANCEL_REASON[reason], message } } });
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
    this.sessionId = undefined; // the gateway already let go of the session, or never had it
    endStreamWithError(this.call, new BatonError(code, message));
    this.ended();
  }

  private receive(message: ConnectRequest | UndecodableMessage): void {
    if (this.closed) return;
    try {
      this.dispatch(decoded(message, 'ConnectRequest'));
    } catch (err: unknown) {
      logError(this.log, 'Connect', err);
      this.deps.guard.failed(this.call, 'Connect', err);
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
        message.value.leaseIds.forEach((leaseId, index) => checkLeaseId(leaseId, `heartbeat.lease_ids[${index}]`));
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
      case 'progress':
        gateway.progress(sessionId, message.value.reports.map((report, index) => toProgress(report, index)));
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
    // The stream may have opened before a reload: its Hello counts as what the credential is now.
    const caller = this.deps.guard.current(this.caller);
    const spec = validateHello(hello, caller);
    const opened = this.deps.gateway.open(spec, this);
    this.settleHello();
    this.sessionId = opened.sessionId;
    this.untrack = this.deps.guard.track(caller, (current) => workerAccess(current, spec.queues), (err) => this.revoked(err));
    this.write({
      message: {
        $case: 'welcome',
        value: {
          sessionId: opened.sessionId,
          heartbeatInterval: msToDuration(this.deps.options.heartbeatIntervalMs),
          leaseTimeout: msToDuration(this.deps.options.leaseTimeoutMs),
          reclaimedLeaseIds: opened.reclaimedLeaseIds,
          maxResultBytes: this.deps.maxResultBytes,
          resumeSecret: opened.resumeSecret,
        },
      },
    });
    this.sendCancel(opened.unknownLeaseIds, 'unknown_lease', 'not current: expired or reassigned');
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
    this.deps.gateway.disconnect(sessionId);
  }

  private ended(): void {
    this.closed = true;
    this.untrack();
    this.settleHello();
  }

  /** The credential no longer allows this stream (a reload revoked or narrowed it). */
  private revoked(err: unknown): void {
    this.log.warn(
      { principal: this.caller.id, session_id: this.sessionId, err_message: err instanceof Error ? err.message : String(err) },
      'closing a worker stream whose credential no longer allows it',
    );
    this.disconnect();
    this.close(err instanceof BatonError ? err.code : 'PERMISSION_DENIED', `credentials reloaded: ${err instanceof Error ? err.message : 'no longer allowed'}`);
  }

  private settleHello(): void {
    clearTimeout(this.helloTimer);
    if (this.helloSettled) return;
    this.helloSettled = true;
    this.onHelloSettled();
  }
}

/** A wire progress report, checked: a fraction outside [0, 1] or an overlong message ends the stream. */
function toProgress(report: WireProgressReport, index: number): ProgressReport {
  const field = `progress.reports[${index}]`;
  checkLeaseId(report.leaseId, `${field}.lease_id`);
  if (!Number.isFinite(report.fraction) || report.fraction < 0 || report.fraction > 1) {
    throw new InvalidArgumentError(`${field}.fraction: must be a number from 0 to 1, got ${report.fraction}`);
  }
  const bytes = Buffer.byteLength(report.message, 'utf8');
  if (bytes > MAX_PROGRESS_MESSAGE_BYTES) {
    throw new InvalidArgumentError(`${field}.message: ${bytes} bytes is over the limit of ${MAX_PROGRESS_MESSAGE_BYTES}`);
  }
  return { leaseId: report.leaseId, fraction: report.fraction, message: report.message };
}
