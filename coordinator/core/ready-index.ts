import { Heap } from './heap';
import { QueueFairness } from './queue-fairness';
import type { TaskRecord } from './task';

interface ReadyEntry {
  readonly task: TaskRecord;
  readonly token: number;
}

/** A ready task by when it became due; small, so that stale ones hold no task record. */
interface DueEntry {
  readonly dueMs: number;
  readonly taskId: string;
  readonly token: number;
}

/** Stale entries a due-time heap may hold beyond its live ones (and as many again) before it is compacted. */
const DUE_HEAP_SLACK = 64;

function dueEarlier(a: DueEntry, b: DueEntry): boolean {
  return a.dueMs !== b.dueMs ? a.dueMs < b.dueMs : a.taskId < b.taskId;
}

/** Higher priority first; then the task that has been due longest; then the older id. */
function runsBefore(a: ReadyEntry, b: ReadyEntry): boolean {
  if (a.task.priority !== b.task.priority) return a.task.priority > b.task.priority;
  if (a.task.runAtMs !== b.task.runAtMs) return a.task.runAtMs < b.task.runAtMs;
  return a.task.id < b.task.id;
}

/** The ready tasks of one queue with one type and one fairness key (null: none). */
interface Slot {
  readonly type: string;
  readonly key: string | null;
  readonly heap: Heap<ReadyEntry>;
}

/**
 * The queued tasks, indexed by queue and then by type (and fairness key), so that a worker
 * that runs only some types finds its next task without scanning others. Removal is lazy: an
 * entry counts only while its token is the task's latest (see `add` and `remove`).
 *
 * A queue whose tasks carry fairness keys hands them out round robin across the keys with a
 * ready task (keyless tasks take one turn together); priorities order each key's tasks.
 */
export class ReadyIndex {
  private readonly queues = new Map<string, Map<string, Slot>>();
  /** The turns of the fairness keys of each queue that has seen one. */
  private readonly keyTurns = new Map<string, QueueFairness>();
  /** Each ready task's live entry (the one in its type's heap): a task costs one entry object, not two. */
  private readonly tokens = new Map<string, ReadyEntry>();
  private readonly depth = new Map<string, number>();
  /**
   * Per queue, its ready tasks by due time, for the age of the oldest (the other heaps order
   * by priority first). Removal costs nothing here: stale entries are dropped when a query
   * meets them at the head, or all at once when they outnumber the live ones.
   */
  private readonly byDueTime = new Map<string, Heap<DueEntry>>();
  private nextToken = 0;

  /** Number of tasks ready now. */
  get size(): number {
    return this.tokens.size;
  }

  add(task: TaskRecord): void {
    this.remove(task.id);
    const token = ++this.nextToken;
    const entry: ReadyEntry = { task, token };
    this.tokens.set(task.id, entry);
    this.depth.set(task.queue, (this.depth.get(task.queue) ?? 0) + 1);
    let slots = this.queues.get(task.queue);
    if (!slots) {
      slots = new Map();
      this.queues.set(task.queue, slots);
    }
    const key = task.fairnessKey;
    const slotKey = key === null ? task.type : `${task.type}\u0000${key}`;
    let slot = slots.get(slotKey);
    if (!slot) {
      slot = { type: task.type, key, heap: new Heap(runsBefore) };
      slots.set(slotKey, slot);
    }
    if (key !== null && !this.keyTurns.has(task.queue)) this.keyTurns.set(task.queue, new QueueFairness());
    slot.heap.push(entry);
    let due = this.byDueTime.get(task.queue);
    if (!due) {
      due = new Heap(dueEarlier);
      this.byDueTime.set(task.queue, due);
    }
    due.push({ dueMs: task.runAtMs, taskId: task.id, token });
    if (due.size > 2 * (this.depth.get(task.queue) ?? 0) + DUE_HEAP_SLACK) due.retain(this.isLive);
  }

  remove(taskId: string): void {
    const entry = this.tokens.get(taskId);
    if (!entry) return;
    this.tokens.delete(taskId);
    const { queue } = entry.task;
    const depth = (this.depth.get(queue) ?? 1) - 1;
    if (depth > 0) {
      this.depth.set(queue, depth);
    } else {
      this.depth.delete(queue);
      this.byDueTime.delete(queue);
    }
  }

  /** When the ready task of `queue` that has been due longest became due; undefined when none is ready. */
  oldestDueMs(queue: string): number | undefined {
    const due = this.byDueTime.get(queue);
    if (!due) return undefined;
    for (let head = due.peek(); head && !this.isLive(head); head = due.peek()) due.pop();
    return due.peek()?.dueMs;
  }

  /**
   * Takes the task of `queue` that should run next, restricted to `types` unless it is empty
   * (any type): the best task of the fairness key whose turn it is (of the only key, for a
   * queue without keys). Priorities are strict within a key; between queues, queue-flow.ts
   * decides.
   */
  take(queue: string, types: ReadonlySet<string>): TaskRecord | undefined {
    const slots = this.queues.get(queue);
    if (!slots) return undefined;
    const turns = this.keyTurns.get(queue);
    // Without keys (the common case) one best head; with keys, the best head of each key.
    let bestSlot: Slot | undefined;
    let bestHead: ReadyEntry | undefined;
    const bestOfKey = turns ? new Map<string, { slot: Slot; head: ReadyEntry }>() : undefined;
    for (const [slotKey, slot] of slots) {
      if (types.size > 0 && !types.has(slot.type)) continue;
      const head = this.liveHead(slot.heap);
      if (!head) {
        // Queue, type and key names come from clients: forget the ones with nothing left.
        slots.delete(slotKey);
        if (slots.size === 0) {
          this.queues.delete(queue);
          this.keyTurns.delete(queue);
        }
        continue;
      }
      if (bestOfKey) {
        const key = slot.key ?? '';
        const ofKey = bestOfKey.get(key);
        if (!ofKey || runsBefore(head, ofKey.head)) bestOfKey.set(key, { slot, head });
      } else if (!bestHead || runsBefore(head, bestHead)) {
        bestSlot = slot;
        bestHead = head;
      }
    }
    if (bestOfKey && turns && bestOfKey.size > 0) {
      const key = bestOfKey.size === 1 ? (bestOfKey.keys().next().value as string) : (turns.pick([...bestOfKey.keys()]) ?? '');
      const chosen = bestOfKey.get(key);
      bestSlot = chosen?.slot;
      bestHead = chosen?.head;
      turns.started(key, 1);
    }
    if (!bestSlot || !bestHead) return undefined;
    bestSlot.heap.pop();
    this.remove(bestHead.task.id);
    return bestHead.task;
  }

  /** Whether `queue` has a ready task (of any type). */
  hasReady(queue: string): boolean {
    return this.depth.has(queue);
  }

  /** Queues that have at least one ready task. */
  nonEmptyQueues(): IterableIterator<string> {
    return this.depth.keys();
  }

  /** Queues with any entries, live or stale; for tests. */
  get indexedQueues(): number {
    return this.queues.size;
  }

  /** Entries, live or stale, behind {@link oldestDueMs} for `queue`; for tests. */
  dueTimeEntries(queue: string): number {
    return this.byDueTime.get(queue)?.size ?? 0;
  }

  /** Ready counts by queue, for metrics. Queues with none are absent. */
  depthByQueue(): ReadonlyMap<string, number> {
    return this.depth;
  }

  private readonly isLive = (entry: DueEntry): boolean => this.tokens.get(entry.taskId)?.token === entry.token;

  private liveHead(heap: Heap<ReadyEntry>): ReadyEntry | undefined {
    for (let head = heap.peek(); head; head = heap.peek()) {
      if (this.tokens.get(head.task.id) === head) return head;
      heap.pop();
    }
    return undefined;
  }
}
