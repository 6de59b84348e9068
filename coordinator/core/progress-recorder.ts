import type { TaskProgress, TaskRecord } from './task';

/**
 * Writes handlers' progress through to the store, at most one write per task in flight: a
 * report that arrives while the previous one is being committed only replaces the record's
 * progress, and is written once that commit is done. However often a worker reports, a task
 * costs the store no more than one write per group commit.
 */
export class ProgressRecorder {
  private readonly inFlight = new Set<string>();
  private readonly stale = new Set<string>();

  /** @param persist writes the task's current record (TaskLedger.persist); watchers hear of it once committed. */
  constructor(private readonly persist: (task: TaskRecord) => Promise<void>) {}

  /** Sets a running task's progress; a task in another state keeps what it has. */
  record(task: TaskRecord, progress: TaskProgress): void {
    if (task.state !== 'running') return;
    task.progress = progress;
    if (this.inFlight.has(task.id)) this.stale.add(task.id);
    else this.write(task);
  }

  /** Tasks with a progress write being committed; for tests. */
  get pending(): number {
    return this.inFlight.size;
  }

  private write(task: TaskRecord): void {
    this.inFlight.add(task.id);
    const settle = (): void => {
      this.inFlight.delete(task.id);
      if (this.stale.delete(task.id) && task.state === 'running') this.write(task);
    };
    // A failed write is the ledger's to report (it stops the coordinator).
    this.persist(task).then(settle, settle);
  }
}
