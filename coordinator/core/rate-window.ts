/** Seconds a rate is averaged over. */
export const RATE_WINDOW_SECONDS = 60;

const MS_PER_SECOND = 1000;

/**
 * Events per second over a window of `seconds` one-second buckets: the current (partial)
 * second and the `seconds - 1` whole seconds before it, so an event counts from its second
 * until `seconds` later, when its second leaves the window. One bucket per second in a
 * ring, driven by the times passed in (the injected clock), so that tests move time instead
 * of sleeping. Recording and reading are O(1) amortised; memory is one number per second of
 * the window.
 */
export class RateWindow {
  private readonly buckets: Float64Array;
  /** The second (since the epoch) the newest bucket stands for; -Infinity before any event. */
  private newestSecond = -Infinity;
  private sum = 0;

  constructor(private readonly seconds: number = RATE_WINDOW_SECONDS) {
    if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
    this.buckets = new Float64Array(seconds);
  }

  /** Counts `count` events at `nowMs`. */
  record(nowMs: number, count = 1): void {
    const index = this.slot(this.advance(nowMs));
    this.buckets[index] = (this.buckets[index] ?? 0) + count;
    this.sum += count;
  }

  /**
   * Events per second over the window that ends at `nowMs`: the events of the last
   * `seconds` seconds (the current, partial second included) divided by `seconds`.
   */
  perSecond(nowMs: number): number {
    this.advance(nowMs);
    return this.sum / this.seconds;
  }

  /** True when nothing was recorded within the window that ends at `nowMs`. */
  isIdle(nowMs: number): boolean {
    this.advance(nowMs);
    return this.sum === 0;
  }

  /** Moves the window to `nowMs`'s second, emptying the buckets it leaves behind; returns that second. */
  private advance(nowMs: number): number {
    const second = Math.floor(nowMs / MS_PER_SECOND);
    if (second <= this.newestSecond) return this.newestSecond; // a clock step back counts as now
    const expired = Math.min(second - this.newestSecond, this.seconds);
    for (let i = 1; i <= expired; i += 1) {
      const index = this.slot(second - expired + i);
      this.sum -= this.buckets[index] ?? 0;
      this.buckets[index] = 0;
    }
    if (expired === this.seconds) this.sum = 0; // no drift from floating point after a full turn
    this.newestSecond = second;
    return second;
  }

  private slot(second: number): number {
    return ((second % this.seconds) + this.seconds) % this.seconds;
  }
}
