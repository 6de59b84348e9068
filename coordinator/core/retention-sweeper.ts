import type { Clock, TimerHandle } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { RetentionOptions } from './engine-options';
import type { QueueFlow } from './queue-flow';
import type { QueueSettings } from './queue-settings';
import type { ExpiredTask, ExpiryRule, TaskStore } from './task-store';

export interface RetentionSweeperDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly flow: Pick<QueueFlow, 'settingsOf' | 'queuesWithSettings' | 'defaultSettings'>;
  readonly options: RetentionOptions;
  /**
   * Whether a finished task is being worked on (a RetryTask between its read and its write):
   * such a task is left for the next sweep. Default: none is.
   */
  readonly inUse?: (taskId: string) => boolean;
  /** Told of the tasks each batch deleted, once committed (for metrics and stats). Default: nothing. */
  readonly onDeleted?: (deleted: readonly ExpiredTask[]) => void;
}

/**
 * Deletes finished tasks once their queue's retention has passed: every sweep interval, in
 * small batches, each its own group-committed write, so that dispatch never waits behind a
 * long delete; then gives the freed pages back to the file system, so that the data file
 * stops growing under a steady load.
 */
export class RetentionSweeper {
  private timer: TimerHandle | undefined;
  /** The latest sweep asked for: sweeps run one after another, never two at once. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: RetentionSweeperDeps) {}

  start(): void {
    this.schedule();
  }

  /** A sweep as of now, once any sweep running has finished; resolves to the tasks it deleted. */
  sweep(): Promise<number> {
    const run = this.last.then(() => this.sweepOnce());
    this.last = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.sweep()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'a retention sweep failed'))
        .finally(() => this.schedule());
    }, this.deps.options.sweepIntervalMs);
  }

  private async sweepOnce(): Promise<number> {
    const { store, options } = this.deps;
    let deleted = 0;
    let batches = 0;
    for (const rule of this.rules(this.deps.clock.now())) {
      while (batches < options.maxBatchesPerSweep && !this.closed) {
        const found = store.findExpired(rule, options.batchSize);
        if (found.length === 0) break;
        const inUse = this.deps.inUse;
        const expired = inUse ? found.filter((task) => !inUse(task.id)) : found;
        if (expired.length > 0) {
          await store.write([{ kind: 'deleteTasks', taskIds: expired.map((task) => task.id) }]);
          this.deps.onDeleted?.(expired);
        }
        deleted += expired.length;
        batches += 1;
        // A batch that skipped tasks in use would find them again: the rest waits for the next sweep.
        if (found.length < options.batchSize || expired.length < found.length) break;
      }
    }
    if (deleted > 0 && !this.closed) {
      const pages = store.reclaimSpace(options.reclaimPages);
      this.deps.logger.info({ deleted, batches, pages_reclaimed: pages }, 'retention deleted finished tasks');
    }
    return deleted;
  }

  /** One rule per retention in force: each queue with settings of its own, then every other queue. */
  private rules(nowMs: number): ExpiryRule[] {
    const rules: ExpiryRule[] = [];
    const own = [...this.deps.flow.queuesWithSettings()];
    for (const queue of own) rules.push(...rulesFor(this.deps.flow.settingsOf(queue), nowMs, { queue }));
    rules.push(...rulesFor(this.deps.flow.defaultSettings, nowMs, own.length > 0 ? { exceptQueues: own } : {}));
    return rules;
  }
}

/** A retention of 0 keeps tasks forever, as 0 means "no limit" for every queue setting. */
function rulesFor(settings: QueueSettings, nowMs: number, scope: Pick<ExpiryRule, 'queue' | 'exceptQueues'>): ExpiryRule[] {
  const rules: ExpiryRule[] = [];
  if (settings.retentionMs > 0) rules.push({ ...scope, states: ['succeeded', 'canceled'], finishedBeforeMs: nowMs - settings.retentionMs });
  if (settings.deadRetentionMs > 0) rules.push({ ...scope, states: ['dead'], finishedBeforeMs: nowMs - settings.deadRetentionMs });
  return rules;
}
