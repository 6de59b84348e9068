import type { TaskResult } from '../shared/gen/baton/v1/worker_service';
import type { CoordinatorLink } from './coordinator-link';

/** The part of a link the outbox uses. */
export type ResultSender = Pick<CoordinatorLink, 'results' | 'credit'>;
import type { AttemptOutcome } from './task-runner';

/**
 * Results on their way to the coordinator. Each is kept until the coordinator acknowledges
 * it, so that a result finished while disconnected, or sent to a stream that then broke, is
 * sent again after the next Welcome. Results and freed slots go out together, once per
 * event-loop turn, in messages the coordinator will accept.
 */
export class ResultOutbox {
  /** The largest result the coordinator accepts (from Welcome); bigger ones become failures. */
  maxResultBytes = Number.MAX_SAFE_INTEGER;
  private readonly unacked = new Map<string, TaskResult>();
  private outgoing: TaskResult[] = [];
  private freedSlots = 0;
  private flushScheduled = false;

  /** @param connected the link to send on now, or undefined while not welcomed. */
  constructor(private readonly connected: () => ResultSender | undefined) {}

  /** Results not yet acknowledged. */
  get pending(): number {
    return this.unacked.size;
  }

  leaseIds(): IterableIterator<string> {
    return this.unacked.keys();
  }

  add(leaseId: string, outcome: AttemptOutcome): void {
    const result = toTaskResult(leaseId, outcome, this.maxResultBytes);
    this.unacked.set(leaseId, result);
    this.outgoing.push(result);
    this.scheduleFlush();
  }

  /** A handler returned: its slot goes back to the coordinator as credit. */
  slotFreed(): void {
    this.freedSlots += 1;
    this.scheduleFlush();
  }

  /** The coordinator answered for this result (stored or refused): stop keeping it. */
  settle(leaseId: string): void {
    this.unacked.delete(leaseId);
  }

  /** After a Welcome: everything not yet acknowledged, on the new stream. */
  resendAll(link: ResultSender): void {
    sendInMessages(link, [...this.unacked.values()], this.maxResultBytes);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const link = this.connected();
      if (link) {
        sendInMessages(link, this.outgoing, this.maxResultBytes);
        link.credit(this.freedSlots);
      }
      // Undelivered results stay in `unacked` and go out after the next Welcome; the next
      // Hello recomputes credit from scratch.
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
