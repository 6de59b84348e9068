import type { Clock, TimerHandle } from '../../shared/clock';
import { Heap } from './heap';

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
  private readonly heap = new Heap<Entry<K>>((a, b) => a.atMs < b.atMs);
  private readonly current = new Map<K, Entry<K>>();
  private generation = 0;
  private timer: TimerHandle | undefined;
  private timerAtMs = Infinity;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: K) => void,
  ) {}

  get size(): number {
    return this.current.size;
  }

  has(key: K): boolean {
    return this.current.has(key);
  }

  /** Fires `onDue(key)` at `atMs` (or at once, on the next timer turn, if it has passed). */
  set(key: K, atMs: number): void {
    const entry = { key, atMs, generation: ++this.generation };
    this.current.set(key, entry);
    this.heap.push(entry);
    this.arm();
  }

  cancel(key: K): void {
    this.current.delete(key);
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
    for (const key of due) {
      if (this.closed) return;
      this.onDue(key);
    }
    this.arm();
  }

  private discardStale(): void {
    for (let top = this.heap.peek(); top && this.current.get(top.key) !== top; top = this.heap.peek()) {
      this.heap.pop();
    }
  }
}
