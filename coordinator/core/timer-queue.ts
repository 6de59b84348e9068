import type { Clock, TimerHandle } from '../../shared/clock';
import { Heap } from './heap';

/** Stale entries tolerated before a rebuild is worth its O(n). */
const COMPACT_MIN_STALE = 1024;

interface Entry<K> {
  readonly key: K;
  readonly atMs: number;
  readonly generation: number;
}

/**
 * Keyed deadlines served by one clock timer: delayed tasks, lease deadlines and session
 * liveness all live here instead of holding a Node timer each. Setting a key again replaces
 * its deadline; replaced and cancelled entries are skipped lazily when they surface.
 */
export class TimerQueue<K> {
  private heap = new Heap<Entry<K>>((a, b) => a.atMs < b.atMs);
  private readonly current = new Map<K, Entry<K>>();
  private generation = 0;
  private timer: TimerHandle | undefined;
  private timerAtMs = Infinity;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: K) => void,
    private readonly onError: (err: unknown, key: K) => void = (err) => {
      throw err;
    },
  ) {}

  get size(): number {
    return this.current.size;
  }

  /** Heap entries held, live or stale; stays within a small multiple of `size`. */
  get storedEntries(): number {
    return this.heap.size;
  }

  has(key: K): boolean {
    return this.current.has(key);
  }

  /** Fires `onDue(key)` at `atMs` (or at once, on the next timer turn, if it has passed). */
  set(key: K, atMs: number): void {
    const entry = { key, atMs, generation: ++this.generation };
    this.current.set(key, entry);
    this.heap.push(entry);
    this.compactIfStale();
    this.arm();
  }

  cancel(key: K): void {
    this.current.delete(key);
    this.compactIfStale();
  }

  /** Cancels everything and stops the timer; later `set` calls are ignored. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.current.clear();
  }

  private arm(): void {
    if (this.closed) return;
    this.discardStale();
    const next = this.heap.peek();
    if (!next) return;
    if (this.timer && this.timerAtMs <= next.atMs) return;
    this.timer?.cancel();
    this.timerAtMs = next.atMs;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, next.atMs - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAtMs = Infinity;
    const nowMs = this.clock.now();
    const due: K[] = [];
    for (;;) {
      this.discardStale();
      const next = this.heap.peek();
      if (!next || next.atMs > nowMs) break;
      this.heap.pop();
      this.current.delete(next.key);
      due.push(next.key);
    }
    try {
      for (const key of due) {
        if (this.closed) return;
        try {
          this.onDue(key);
        } catch (err: unknown) {
          // One failing callback must not stop every later deadline.
          this.onError(err, key);
        }
      }
    } finally {
      this.arm();
    }
  }

  /**
   * Cancelled and replaced entries stay in the heap until they surface; when they outnumber
   * live ones (far-future deadlines cancelled at a high rate), rebuild the heap from the live.
   */
  private compactIfStale(): void {
    if (this.heap.size <= 2 * this.current.size + COMPACT_MIN_STALE) return;
    this.heap = new Heap<Entry<K>>((a, b) => a.atMs < b.atMs);
    for (const entry of this.current.values()) this.heap.push(entry);
  }

  private discardStale(): void {
    for (let top = this.heap.peek(); top && this.current.get(top.key) !== top; top = this.heap.peek()) {
      this.heap.pop();
    }
  }
}
