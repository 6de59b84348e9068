import type { TaskResult } from '../shared/gen/baton/v1/worker_service';
import type { AttemptOutcome } from './task-runner';
import type { WorkerLink } from './worker-link';

/** The part of a link the outbox uses. */
export type ResultSender = Pick<WorkerLink, 'results' | 'credit'>;

/**
 * Results and freed slots on their way to the coordinator: they go out together, once per
 * event-loop turn, in messages the coordinator will accept. Keeping each result until it is
 * acknowledged is the attempt table's job (attempt-table.ts); a result finished while
 * disconnected, or sent to a stream that then broke, is sent again with {@link resend}.
 */
export class ResultOutbox {
  /** The largest result the coordinator accepts (from Welcome); bigger ones become failures. */
  maxResultBytes = Number.MAX_SAFE_INTEGER;
  private outgoing: TaskResult[] = [];
  private freedSlots = 0;
  private flushScheduled = false;

  /** @param connected the link to send on now, or undefined while not welcomed. */
  constructor(private readonly connected: () => ResultSender | undefined) {}

  /** The message that reports `outcome`: a result over {@link maxResultBytes} becomes a non-retryable failure. */
  resultOf(leaseId: string, outcome: AttemptOutcome): TaskResult {
    return toTaskResult(leaseId, outcome, this.maxResultBytes);
  }

  /** Sends `result` with the others of this turn. */
  send(result: TaskResult): void {
    this.outgoing.push(result);
    this.scheduleFlush();
  }

  /** A handler returned: its slot goes back to the coordinator as credit, after this turn's results. */
  slotFreed(): void {
    this.freedSlots += 1;
    this.scheduleFlush();
  }

  /** After a Welcome: every result not yet acknowledged, on the new stream. */
  resend(link: ResultSender, unacked: readonly TaskResult[]): void {
    sendInMessages(link, unacked, this.maxResultBytes);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // An event-loop turn, not a time: it gathers what finished together into one message.
    setImmediate(() => {
      this.flushScheduled = false;
      const link = this.connected();
      if (link) {
        sendInMessages(link, this.outgoing, this.maxResultBytes);
        link.credit(this.freedSlots);
      }
      // Undelivered results stay unacknowledged in the attempt table and go out after the
      // next Welcome; the next Hello recomputes credit from scratch.
      this.outgoing = [];
      this.freedSlots = 0;
    });
  }
}

function toTaskResult(leaseId: string, outcome: AttemptOutcome, maxResultBytes: number): TaskResult {
  if (outcome.kind === 'success' && outcome.result.length > maxResultBytes) {
    const message = `result of ${outcome.result.length} bytes exceeds the coordinator's limit of ${maxResultBytes} bytes`;
    return { leaseId, outcome: { $case: 'failure', value: { message, nonRetryable: true, errorType: 'ResultTooLarge' } } };
  }
  return {
    leaseId,
    outcome:
      outcome.kind === 'success'
        ? { $case: 'success', value: { result: outcome.result, contentType: outcome.contentType } }
        : { $case: 'failure', value: { message: outcome.message, nonRetryable: outcome.nonRetryable, errorType: outcome.errorType } },
  };
}

/** Batches results into messages the coordinator will accept: about one limit's worth each. */
function sendInMessages(link: ResultSender, results: readonly TaskResult[], maxResultBytes: number): void {
  let batch: TaskResult[] = [];
  let bytes = 0;
  for (const result of results) {
    const size = result.outcome?.$case === 'success' ? result.outcome.value.result.length : 0;
    if (batch.length > 0 && bytes + size > maxResultBytes) {
      link.results(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(result);
    bytes += size;
  }
  link.results(batch);
}
