import type { TaskRecord } from './task';

export type TaskListener = (snapshot: TaskRecord) => void;

/** Listeners for one task's committed state changes (WatchTask, `baton wait`). */
export class TaskWatchers {
  private readonly listeners = new Map<string, Set<TaskListener>>();

  /** Returns the function that unsubscribes. */
  subscribe(taskId: string, listener: TaskListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(taskId) === set) this.listeners.delete(taskId);
    };
  }

  hasListeners(taskId: string): boolean {
    return this.listeners.has(taskId);
  }

  notify(snapshot: TaskRecord): void {
    const set = this.listeners.get(snapshot.id);
    if (!set) return;
    for (const listener of [...set]) listener(snapshot);
  }
}
