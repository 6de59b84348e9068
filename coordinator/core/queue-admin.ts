import { ResourceExhaustedError } from '../../shared/errors';
import type { QueueFlow } from './queue-flow';
import type { QueueSettings, QueueSettingsOverride } from './queue-settings';
import type { TaskStore } from './task-store';

/** A queue as UpdateQueue, GetQueue and ListQueues show it. */
export interface QueueView {
  readonly name: string;
  readonly settings: QueueSettings;
  readonly running: number;
  readonly queued: number;
  readonly scheduled: number;
}

export interface QueueAdminDeps {
  readonly store: TaskStore;
  readonly flow: QueueFlow;
  /** Counts of the queue's unfinished tasks now. */
  readonly counts: (queue: string) => { running: number; queued: number; scheduled: number };
  /** Queues with unfinished tasks. */
  readonly busyQueues: () => Iterable<string>;
  /** Queues with stored settings at most (UpdateQueue can name any queue). */
  readonly maxQueues: number;
}

/**
 * Queue settings at run time: UpdateQueue's changes are committed to the store (so that they
 * outlive restarts and override the config file), then applied to flow control.
 */
export class QueueAdmin {
  constructor(private readonly deps: QueueAdminDeps) {}

  /** Applies what UpdateQueue stored before the restart. */
  start(): void {
    for (const [queue, override] of this.deps.store.loadQueueSettings()) this.deps.flow.setStored(queue, override);
  }

  /**
   * Merges `changes` into the queue's stored settings.
   * @throws ResourceExhaustedError when a new queue's settings would pass maxQueues.
   */
  async update(queue: string, changes: QueueSettingsOverride): Promise<QueueView> {
    const current = this.deps.flow.storedOf(queue);
    if (current === undefined && this.storedCount() >= this.deps.maxQueues) {
      throw new ResourceExhaustedError(`settings are stored for ${this.storedCount()} queues already, the limit (setting maxQueues)`);
    }
    const next: QueueSettingsOverride = { ...current, ...changes };
    await this.deps.store.write([{ kind: 'putQueueSettings', queue, settings: next }]);
    this.deps.flow.setStored(queue, next);
    return this.view(queue);
  }

  view(queue: string): QueueView {
    return { name: queue, settings: this.deps.flow.settingsOf(queue), ...this.deps.counts(queue) };
  }

  /** Queues with settings or unfinished tasks, by name. */
  list(): QueueView[] {
    const names = new Set<string>(this.deps.flow.queuesWithSettings());
    for (const queue of this.deps.busyQueues()) names.add(queue);
    return [...names].sort().map((queue) => this.view(queue));
  }

  private storedCount(): number {
    let count = 0;
    for (const queue of this.deps.flow.queuesWithSettings()) if (this.deps.flow.storedOf(queue) !== undefined) count += 1;
    return count;
  }
}
