import { ResourceExhaustedError } from '../../shared/errors';
import type { EngineLimits } from './engine-options';

/** The settings of the queue limits a submission can run into. */
export type QueueLimit = 'maxQueuedTasks' | 'maxQueuedTasksPerQueue' | 'maxQueues';

/** A submission refused because it would pass a queue limit; `limit` names the setting. */
export class QueueLimitError extends ResourceExhaustedError {
  constructor(
    readonly limit: QueueLimit,
    message: string,
  ) {
    super(message);
  }
}

/** Unfinished tasks counted by queue: what the queue limits are measured against. */
export class QueueOccupancy {
  private readonly counts = new Map<string, number>();
  private total = 0;

  /** Tasks counted, over all queues. */
  get size(): number {
    return this.total;
  }

  /** Queues with at least one task counted. */
  get queueCount(): number {
    return this.counts.size;
  }

  count(queue: string): number {
    return this.counts.get(queue) ?? 0;
  }

  add(queue: string, n = 1): void {
    this.counts.set(queue, this.count(queue) + n);
    this.total += n;
  }

  remove(queue: string, n = 1): void {
    const left = this.count(queue) - n;
    if (left > 0) this.counts.set(queue, left);
    else this.counts.delete(queue);
    this.total -= Math.min(n, this.total);
  }

  queues(): IterableIterator<string> {
    return this.counts.keys();
  }
}

/**
 * Refuses a submission that would take the unfinished tasks past a limit, counting what is
 * tracked and what other submissions are committing right now.
 * @param requested tasks by queue that the submission adds.
 * @throws QueueLimitError (RESOURCE_EXHAUSTED) naming the limit's setting.
 */
export function admitSubmission(
  requested: ReadonlyMap<string, number>,
  tracked: QueueOccupancy,
  inFlight: QueueOccupancy,
  limits: EngineLimits,
): void {
  let adding = 0;
  let newQueues = 0;
  for (const [queue, n] of requested) {
    adding += n;
    const held = tracked.count(queue) + inFlight.count(queue);
    if (held === 0) newQueues += 1;
    if (held + n > limits.maxQueuedTasksPerQueue) {
      throw new QueueLimitError(
        'maxQueuedTasksPerQueue',
        `queue ${queue} has ${held} unfinished tasks; ${n} more would pass the limit (maxQueuedTasksPerQueue) of ${limits.maxQueuedTasksPerQueue}`,
      );
    }
  }
  const total = tracked.size + inFlight.size;
  if (total + adding > limits.maxQueuedTasks) {
    throw new QueueLimitError('maxQueuedTasks', `${total} tasks are unfinished; ${adding} more would pass the limit (maxQueuedTasks) of ${limits.maxQueuedTasks}`);
  }
  if (newQueues > 0) {
    let queues = tracked.queueCount;
    for (const queue of inFlight.queues()) if (tracked.count(queue) === 0) queues += 1;
    if (queues + newQueues > limits.maxQueues) {
      throw new QueueLimitError(
        'maxQueues',
        `${queues} queues have unfinished tasks; ${newQueues} new one(s) would pass the limit (maxQueues) of ${limits.maxQueues}`,
      );
    }
  }
}
