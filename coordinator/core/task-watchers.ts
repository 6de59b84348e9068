import type { TaskRecord } from './task';

export type TaskListener = (snapshot: TaskRecord) => void;

interface Subscription {
  readonly listener: TaskListener;
  /** Called if the watch is ended from this side (coordinator shutdown). */
  readonly onClose: () => void;
}

/** Listeners for one task's committed state changes (WatchTask, `baton wait`). */
export class TaskWatchers {
  private readonly subscriptions = new Map<string, Set<Subscription>>();

  /** Returns the function that unsubscribes. */
  subscribe(taskId: string, listener: TaskListener, onClose: () => void = () => undefined): () => void {
    let set = this.subscriptions.get(taskId);
    if (!set) {
      set = new Set();
      this.subscriptions.set(taskId, set);
    }
    const subscription = { listener, onClose };
    set.add(subscription);
    return () => {
      set.delete(subscription);
      if (set.size === 0 && this.subscriptions.get(taskId) === set) this.subscriptions.delete(taskId);
    };
  }

  notify(snapshot: TaskRecord): void {
    const set = this.subscriptions.get(snapshot.id);
    if (!set) return;
    for (const subscription of [...set]) subscription.listener(snapshot);
  }

  /** Ends every watch: open streams must not hold up a shutdown. */
  closeAll(): void {
    const all = [...this.subscriptions.values()].flatMap((set) => [...set]);
    this.subscriptions.clear();
    for (const subscription of all) subscription.onClose();
  }
}
