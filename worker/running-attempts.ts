import type { Logger } from '../shared/logger';
import { CancelReason, type Cancel, type Lease } from '../shared/gen/baton/v1/worker_service';
import { AttemptSpan } from './attempt-span';
import type { Attempt, AttemptTable, HandlerRun } from './attempt-table';
import type { Handler, HandlerMap, TaskContext } from './handler';
import type { CompiledWorkerOptions } from './options';
import { checkProgress } from './progress-input';
import type { ProgressCoalescer } from './progress-reports';
import type { ResultOutbox } from './result-outbox';
import { runAttempt, type AttemptOutcome } from './task-runner';
import { UNKNOWN_TASK_TYPE, attemptMetricOutcome } from './worker-metrics';

/** What the running attempts need from the worker around them. */
export interface RunningAttemptsContext {
  readonly options: Pick<CompiledWorkerOptions, 'workerId' | 'handlers' | 'metrics'>;
  /** The worker's logger. Lines about an attempt carry its fields; the handler's own logger is a child, made only if it asks. */
  readonly log: Logger;
  /** Where every attempt's state lives and changes. */
  readonly table: AttemptTable;
  /** Where finished attempts put their results and freed slots. */
  readonly outbox: ResultOutbox;
  /** Where handlers' progress waits, coalesced, until it goes out or its attempt ends. */
  readonly progress: Pick<ProgressCoalescer, 'report' | 'drop'>;
  /** True while the worker takes new leases (not draining): a finished attempt then frees its slot. */
  readonly takingLeases: () => boolean;
  /** Wakes whoever waits on the worker's state (close waits for the handlers to finish). */
  readonly changed: () => void;
}

/** The fields of every log line about an attempt: its task, number, type, and trace. */
type AttemptLogFields = Record<string, unknown>;

/**
 * The handlers: one started for each lease received, aborted when the coordinator takes the
 * lease back or the shutdown grace is over, and its result handed to the outbox unless the
 * lease was taken back. The hot path is {@link start} → runAttempt → {@link done}.
 */
export class RunningAttempts {
  constructor(private readonly context: RunningAttemptsContext) {}

  /** Starts a handler for each lease. */
  start(leases: readonly Lease[]): void {
    const { options, log, table } = this.context;
    for (const lease of leases) {
      if (table.has(lease.leaseId)) {
        // The coordinator never leases one lease twice; running it twice would make two results for one lease.
        log.warn({ lease_id: lease.leaseId, task_id: lease.taskId }, 'lease received twice; ignoring the second');
        continue;
      }
      const span = AttemptSpan.start(lease, options.workerId);
      const metricType = Object.hasOwn(options.handlers, lease.type) ? lease.type : UNKNOWN_TASK_TYPE;
      const run: HandlerRun = { lease, controller: new AbortController(), span, metricType, startedMs: performance.now() };
      const attempt = table.start(run);
      options.metrics.attemptStarted(lease.queue, metricType);
      if (log.isLevelEnabled('debug')) log.debug(logFields(run), 'attempt started');
      let handlerLog: Logger | undefined;
      const handlerLogger = (): Logger => (handlerLog ??= log.child(logFields(run)));
      // The catch covers done() too: a bookkeeping fault is logged, never an unhandled rejection that ends the process.
      runAttempt(lease, handlerOf(options.handlers, lease.type), run.controller.signal, handlerLogger, span, this.progressOf(attempt, run))
        .then((outcome) => this.done(attempt, run, outcome))
        .catch((err: unknown) => log.error({ ...logFields(run), err }, 'attempt runner failed'));
    }
  }

  /** The coordinator took leases back: their handlers are aborted, and their results will not be sent. */
  cancel(cancel: Cancel): void {
    const { table, log } = this.context;
    for (const leaseId of cancel.leaseIds) {
      // A finished attempt's result is not sent again: the coordinator would reject it.
      if (table.settle(leaseId)) continue;
      const attempt = table.get(leaseId);
      const run = attempt?.run;
      if (!attempt || !run) continue;
      table.revoke(attempt, cancel.reason === CancelReason.CANCEL_REASON_TIMEOUT ? 'timeout' : 'canceled');
      this.context.progress.drop(leaseId);
      log.info({ task_id: run.lease.taskId, lease_id: leaseId, reason: cancel.message, ...run.span.logFields }, 'attempt canceled by the coordinator');
      run.controller.abort(new Error(cancel.message || 'canceled by the coordinator'));
    }
  }

  /** The shutdown grace is over: every handler is aborted, and its lease no longer held. */
  abandonAll(): void {
    const { table } = this.context;
    for (const attempt of table.withHandlers()) {
      table.revoke(attempt, 'shutdown');
      this.context.progress.drop(attempt.leaseId);
      attempt.run?.controller.abort(new Error('the worker is shutting down'));
    }
  }

  /** The handler returned: its result goes out (unless the lease was taken back), and its slot back. */
  private done(attempt: Attempt, run: HandlerRun, outcome: AttemptOutcome): void {
    const { options, outbox, table, log, progress } = this.context;
    // Before the result is queued: no progress may follow it on the stream.
    progress.drop(run.lease.leaseId);
    const revokedBy = attempt.revokedBy;
    const metricOutcome = attemptMetricOutcome(outcome, revokedBy, outbox.maxResultBytes);
    options.metrics.attemptEnded(run.lease.queue, run.metricType, metricOutcome, performance.now() - run.startedMs);
    if (revokedBy) log.info({ ...logFields(run), outcome: metricOutcome }, 'attempt ended after its lease was taken back; its result is dropped');
    else if (outcome.kind === 'failure') log.info({ ...logFields(run), err_message: outcome.message, non_retryable: outcome.nonRetryable }, 'attempt failed');
    else if (log.isLevelEnabled('debug')) log.debug(logFields(run), 'attempt succeeded');
    if (outcome.kind === 'success' && outcome.result.length > outbox.maxResultBytes) {
      // The outbox reports it as a non-retryable failure: the span says the same.
      run.span.failed(new Error(`the result is ${outcome.result.length} bytes, over the coordinator's limit of ${outbox.maxResultBytes}`), true);
    }
    run.span.end(revokedBy);
    if (revokedBy === undefined) {
      const result = outbox.resultOf(run.lease.leaseId, outcome);
      table.finish(attempt, result);
      outbox.send(result);
    } else {
      table.drop(attempt);
    }
    if (this.context.takingLeases()) outbox.slotFreed();
    this.context.changed();
  }

  /**
   * The attempt's `ctx.progress`: checks its arguments, then keeps the report for the next
   * round while the handler runs with its lease held. Once the attempt was revoked (its
   * signal aborted) or its handler returned, reports are ignored.
   */
  private progressOf(attempt: Attempt, run: HandlerRun): TaskContext['progress'] {
    const { progress } = this.context;
    const { leaseId } = run.lease;
    const signal = run.controller.signal;
    return (fraction: unknown, message?: unknown): void => {
      const checked = checkProgress(fraction, message);
      if (attempt.state === 'running' && !signal.aborted) progress.report(leaseId, checked.fraction, checked.message);
    };
  }
}

/** What every line about the attempt carries, as its per-attempt child logger used to. */
function logFields(run: HandlerRun): AttemptLogFields {
  const { lease, span } = run;
  return { task_id: lease.taskId, attempt: lease.attempt, type: lease.type, ...span.logFields };
}

/** The handler of a task type; never an inherited property such as `constructor`. */
function handlerOf(handlers: HandlerMap, type: string): Handler | undefined {
  return Object.hasOwn(handlers, type) ? handlers[type] : undefined;
}
