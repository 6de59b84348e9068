/** Passes kept before those that carry no information (at or below the virtual time) are dropped. */
const PRUNE_ABOVE = 1024;

/**
 * Weighted fairness between one worker's queues, by stride scheduling: each queue has a pass
 * that grows by 1/weight for every task it starts, and the queue with the smallest pass goes
 * next, so over any stretch the worker starts tasks of its queues in proportion to their
 * weights, whatever their depths. (queue-flow.ts keeps one per worker.)
 *
 * A queue that had nothing to do keeps no credit for it: its pass is lifted to the pass of
 * the last queue served before it competes, so that a queue idle for an hour does not then
 * take every slot until it has caught up.
 */
export class QueueFairness {
  private readonly passes = new Map<string, number>();
  private virtualTime = 0;

  /**
   * The queue among `candidates` (each one able to start a task now) that should go next.
   * Ties go to the earlier candidate.
   */
  pick(candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestPass = Infinity;
    for (const queue of candidates) {
      const pass = this.passOf(queue);
      if (pass < bestPass) {
        best = queue;
        bestPass = pass;
      }
    }
    return best;
  }

  /** `queue` started a task: it moves back by 1/weight. */
  started(queue: string, weight: number): void {
    const pass = this.passOf(queue);
    this.virtualTime = pass;
    this.passes.set(queue, pass + 1 / weight);
    // Queue names come from clients. A pass at or below the virtual time says nothing that
    // passOf would not say of a missing one, so those can go.
    if (this.passes.size > PRUNE_ABOVE) {
      for (const [name, kept] of this.passes) if (kept <= this.virtualTime) this.passes.delete(name);
    }
  }

  /** Queues with a pass kept; for tests. */
  get trackedQueues(): number {
    return this.passes.size;
  }

  private passOf(queue: string): number {
    return Math.max(this.passes.get(queue) ?? 0, this.virtualTime);
  }
}
