import type { Clock, TimerHandle } from '../shared/clock';
import type { ProgressReport } from '../shared/gen/baton/v1/worker_service';
import type { WorkerLink } from './worker-link';

/** The part of a link progress goes out on. */
export type ProgressSender = Pick<WorkerLink, 'progress'>;

/** How often a worker sends progress, when its options say nothing: the protocol's suggestion (worker_service.proto). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

/** Slack above a worker's concurrency in one ProgressReports message, as for heartbeats and results. */
const REPORTS_MARGIN = 64;

/** The most reports one ProgressReports message may carry for a worker of `concurrency` slots (worker_service.proto). */
export function maxReportsPerMessage(concurrency: number): number {
  return 2 * concurrency + REPORTS_MARGIN;
}

export interface ProgressCoalescerOptions {
  readonly clock: Clock;
  /** At most one round of messages per this many ms. */
  readonly intervalMs: number;
  /** Reports per message; more are split over several messages of the same round. */
  readonly maxPerMessage: number;
  /** The link to send on now, or undefined while not welcomed. */
  readonly connected: () => ProgressSender | undefined;
}

/**
 * Progress on its way to the coordinator, coalesced: per lease only the latest report is
 * kept, and they all go out together at most once per interval, so that a handler calling
 * `ctx.progress()` in a tight loop costs a map write per call, not a message.
 *
 * Timing: the first report after an idle spell arms one timer on the clock, `intervalMs`
 * ahead (it does not go out at once); when it fires, every lease's latest report goes out.
 * Reports made after that arm the next timer, so rounds are at least an interval apart.
 *
 * What cannot go out when the timer fires (no welcomed stream, or one whose writes wait on
 * back-pressure) stays here, still replaced by newer reports, and is tried again an interval
 * later: progress never queues behind results, and never delays them. The timer runs only
 * while something waits.
 *
 * A report leaves as soon as its attempt ends ({@link drop}): once a result is on its way,
 * no progress for that lease may follow it.
 */
export class ProgressCoalescer {
  /** Lease id → its latest report not yet sent. */
  private readonly latest = new Map<string, ProgressReport>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressCoalescerOptions) {}

  /** Reports waiting for the next round. */
  get pendingCount(): number {
    return this.latest.size;
  }

  /** Keeps `fraction` and `message` as the latest progress of `leaseId`, for the next round. Ignored once stopped. */
  report(leaseId: string, fraction: number, message: string): void {
    if (this.stopped) return;
    this.latest.set(leaseId, { leaseId, fraction, message });
    this.timer ??= this.options.clock.setTimer(() => this.flush(), this.options.intervalMs);
  }

  /** The attempt of `leaseId` ended (its result supersedes its progress) or was taken back: its pending report is forgotten. */
  drop(leaseId: string): void {
    this.latest.delete(leaseId);
  }

  /** The worker stopped: the timer is cancelled, what is pending forgotten, and later reports ignored. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.latest.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const link = this.options.connected();
    if (link) this.sendPending(link);
    if (this.latest.size > 0 && !this.stopped) this.timer = this.options.clock.setTimer(() => this.flush(), this.options.intervalMs);
  }

  /** Sends what is pending, a message of at most maxPerMessage at a time, until the link refuses one. */
  private sendPending(link: ProgressSender): void {
    const reports = [...this.latest.values()];
    const { maxPerMessage } = this.options;
    for (let start = 0; start < reports.length; start += maxPerMessage) {
      const batch = reports.slice(start, start + maxPerMessage);
      if (!link.progress(batch)) return;
      for (const report of batch) this.latest.delete(report.leaseId);
    }
  }
}
