import { Heap } from './heap';
import type { TaskRecord } from './task';

interface ReadyEntry {
  readonly task: TaskRecord;
  readonly token: number;
}

/** Higher priority first; then the task that has been due longest; then the older id. */
function runsBefore(a: ReadyEntry, b: ReadyEntry): boolean {
  if (a.task.priority !== b.task.priority) return a.task.priority > b.task.priority;
  if (a.task.runAtMs !== b.task.runAtMs) return a.task.runAtMs < b.task.runAtMs;
  return a.task.id < b.task.id;
}

/**
 * The queued tasks, indexed by queue and then by type, so that a worker that runs only some
 * types finds its next task without scanning others. Removal is lazy: an entry counts only
 * while its token is the task's latest (see `add` and `remove`).
 */
export class ReadyIndex {
  private readonly queues = new Map<string, Map<string, Heap<ReadyEntry>>>();
  private readonly tokens = new Map<string, { readonly token: number; readonly queue: string }>();
  private readonly depth = new Map<string, number>();
  private nextToken = 0;

  /** Number of tasks ready now. */
  get size(): number {
    return this.tokens.size;
  }

  add(task: TaskRecord): void {
    this.remove(task.id);
    const token = ++this.nextToken;
    this.tokens.set(task.id, { token, queue: task.queue });
    this.depth.set(task.queue, (this.depth.get(task.queue) ?? 0) + 1);
    let byType = this.queues.get(task.queue);
    if (!byType) {
      byType = new Map();
      this.queues.set(task.queue, byType);
    }
    let heap = byType.get(task.type);
    if (!heap) {
      heap = new Heap(runsBefore);
      byType.set(task.type, heap);
    }
    heap.push({ task, token });
  }

  remove(taskId: string): void {
    const entry = this.tokens.get(taskId);
    if (!entry) return;
    this.tokens.delete(taskId);
    const depth = (this.depth.get(entry.queue) ?? 1) - 1;
    if (depth > 0) this.depth.set(entry.queue, depth);
    else this.depth.delete(entry.queue);
  }

  /**
   * Takes the task that should run next among `queues`, restricted to `types` unless it is
   * empty (any type).
   */
  take(queues: readonly string[], types: ReadonlySet<string>): TaskRecord | undefined {
    let bestHeap: Heap<ReadyEntry> | undefined;
    let best: ReadyEntry | undefined;
    for (const queue of queues) {
      const byType = this.queues.get(queue);
      if (!byType) continue;
      for (const [type, heap] of byType) {
        if (types.size > 0 && !types.has(type)) continue;
        const head = this.liveHead(heap);
        if (!head) {
          // Queue and type names come from clients: forget the ones with nothing left.
          byType.delete(type);
          if (byType.size === 0) this.queues.delete(queue);
          continue;
        }
        if (head && (!best || runsBefore(head, best))) {
          best = head;
          bestHeap = heap;
        }
      }
    }
    if (!best || !bestHeap) return undefined;
    bestHeap.pop();
    this.remove(best.task.id);
    return best.task;
  }

  /** Queues that have at least one ready task. */
  nonEmptyQueues(): IterableIterator<string> {
    return this.depth.keys();
  }

  /** Queues with any entries, live or stale; for tests. */
  get indexedQueues(): number {
    return this.queues.size;
  }

  /** Ready counts by queue, for metrics. Queues with none are absent. */
  depthByQueue(): ReadonlyMap<string, number> {
    return this.depth;
  }

  private liveHead(heap: Heap<ReadyEntry>): ReadyEntry | undefined {
    for (let head = heap.peek(); head; head = heap.peek()) {
      if (this.tokens.get(head.task.id)?.token === head.token) return head;
      heap.pop();
    }
    return undefined;
  }
}
