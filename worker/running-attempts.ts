import type { Logger } from '../shared/logger';
import { CancelReason, type Cancel, type Lease } from '../shared/gen/baton/v1/worker_service';
import { AttemptSpan, type Revocation } from './attempt-span';
import type { Handler, HandlerMap } from './handler';
import type { CompiledWorkerOptions } from './options';
import type { ResultOutbox } from './result-outbox';
import { runAttempt, type AttemptOutcome } from './task-runner';
import { UNKNOWN_TASK_TYPE, attemptMetricOutcome } from './worker-metrics';

interface RunningAttempt {
  readonly lease: Lease;
  readonly controller: AbortController;
  readonly span: AttemptSpan;
  /** Set once the lease is taken back: the result would be rejected, so it is not sent. */
  revokedBy: Revocation | undefined;
  /** The task type as metrics label it: one value for every type without a handler, so they stay bounded. */
  readonly metricType: string;
  /** performance.now() when the handler was started. */
  readonly startedMs: number;
}

/** What the running attempts need from the worker around them. */
export interface RunningAttemptsContext {
  readonly options: Pick<CompiledWorkerOptions, 'workerId' | 'handlers' | 'metrics'>;
  /** The worker's logger: each attempt logs through a child of it. */
  readonly log: Logger;
  /** Where finished attempts put their results. */
  readonly outbox: ResultOutbox;
  /** True while the worker takes new leases (not draining): a finished attempt then frees its slot. */
  readonly takingLeases: () => boolean;
  /** Wakes whoever waits on the worker's state (close waits for the handlers to finish). */
  readonly changed: () => void;
}

/**
 * The handlers running now, by lease: started for each lease received, aborted when the
 * coordinator takes the lease back or the shutdown grace is over, and their results handed
 * to the outbox unless the lease was taken back.
 */
export class RunningAttempts {
  private readonly running = new Map<string, RunningAttempt>();

  constructor(private readonly context: RunningAttemptsContext) {}

  /** Handlers running now, those whose lease was taken back included. */
  get size(): number {
    return this.running.size;
  }

  /** The leases of every running handler, those taken back included: they still hold slots. */
  leaseIds(): string[] {
    return [...this.running.keys()];
  }

  /** Leases this worker still answers for: running, or finished with the result not yet acknowledged. */
  heldLeaseIds(): string[] {
    const running = [...this.running.values()].filter((attempt) => attempt.revokedBy === undefined).map((attempt) => attempt.lease.leaseId);
    return [...new Set([...running, ...this.context.outbox.leaseIds()])];
  }

  /** Starts a handler for each lease. */
  start(leases: readonly Lease[]): void {
    const { options, log } = this.context;
    for (const lease of leases) {
      const controller = new AbortController();
      const span = AttemptSpan.start(lease, options.workerId);
      const metricType = Object.hasOwn(options.handlers, lease.type) ? lease.type : UNKNOWN_TASK_TYPE;
      const attempt: RunningAttempt = { lease, controller, span, revokedBy: undefined, metricType, startedMs: performance.now() };
      this.running.set(lease.leaseId, attempt);
      options.metrics.attemptStarted(lease.queue, metricType);
      const logger = log.child({ task_id: lease.taskId, attempt: lease.attempt, type: lease.type, ...span.logFields });
      logger.debug('attempt started');
      runAttempt(lease, handlerOf(options.handlers, lease.type), controller.signal, logger, span).then(
        (outcome) => this.done(attempt, outcome, logger),
        (err: unknown) => logger.error({ err }, 'attempt runner failed'),
      );
    }
  }

  /** The coordinator took leases back: their handlers are aborted, and their results will not be sent. */
  cancel(cancel: Cancel): void {
    for (const leaseId of cancel.leaseIds) {
      const attempt = this.running.get(leaseId);
      this.context.outbox.settle(leaseId);
      if (!attempt) continue;
      attempt.revokedBy = cancel.reason === CancelReason.CANCEL_REASON_TIMEOUT ? 'timeout' : 'canceled';
      this.context.log.info({ task_id: attempt.lease.taskId, lease_id: leaseId, reason: cancel.message, ...attempt.span.logFields }, 'attempt canceled by the coordinator');
      attempt.controller.abort(new Error(cancel.message || 'canceled by the coordinator'));
    }
  }

  /** The shutdown grace is over: every handler is aborted, and its lease no longer held. */
  abandonAll(): void {
    for (const attempt of this.running.values()) {
      attempt.revokedBy = 'shutdown';
      attempt.controller.abort(new Error('the worker is shutting down'));
    }
  }

  private done(attempt: RunningAttempt, outcome: AttemptOutcome, logger: Logger): void {
    const { options, outbox } = this.context;
    const leaseId = attempt.lease.leaseId;
    this.running.delete(leaseId);
    const metricOutcome = attemptMetricOutcome(outcome, attempt.revokedBy, outbox.maxResultBytes);
    options.metrics.attemptEnded(attempt.lease.queue, attempt.metricType, metricOutcome, performance.now() - attempt.startedMs);
    if (attempt.revokedBy) logger.info({ outcome: metricOutcome }, 'attempt ended after its lease was taken back; its result is dropped');
    else if (outcome.kind === 'failure') logger.info({ err_message: outcome.message, non_retryable: outcome.nonRetryable }, 'attempt failed');
    else logger.debug('attempt succeeded');
    if (outcome.kind === 'success' && outcome.result.length > outbox.maxResultBytes) {
      // The outbox reports it as a non-retryable failure: the span says the same.
      attempt.span.failed(new Error(`the result is ${outcome.result.length} bytes, over the coordinator's limit of ${outbox.maxResultBytes}`), true);
    }
    attempt.span.end(attempt.revokedBy);
    if (attempt.revokedBy === undefined) {
      outbox.add(leaseId, outcome);
    }
    if (this.context.takingLeases()) outbox.slotFreed();
    this.context.changed();
  }
}

/** The handler of a task type; never an inherited property such as `constructor`. */
function handlerOf(handlers: HandlerMap, type: string): Handler | undefined {
  return Object.hasOwn(handlers, type) ? handlers[type] : undefined;
}
