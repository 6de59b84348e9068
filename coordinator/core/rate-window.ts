/** Seconds a rate is averaged over. */
export const RATE_WINDOW_SECONDS = 60;

const MS_PER_SECOND = 1000;

/**
 * Events counted over a window of `buckets` buckets of `bucketMs` each: the current
 * (partial) bucket and the `buckets - 1` whole ones before it, so an event counts from its
 * bucket until `buckets` buckets later, when its bucket leaves the window. One number per
 * bucket in a ring, driven by the times passed in (the injected clock), so that tests move
 * time instead of sleeping. Recording and reading a rate are O(1) amortised.
 */
export class RateWindow {
  private readonly counts: Float64Array;
  /** The bucket (since the epoch) the newest slot stands for; -Infinity before any event. */
  private newestBucket = -Infinity;
  private sum = 0;

  constructor(
    private readonly buckets: number = RATE_WINDOW_SECONDS,
    private readonly bucketMs: number = MS_PER_SECOND,
  ) {
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
    if (!Number.isInteger(bucketMs) || bucketMs < 1) throw new RangeError(`bucketMs must be a positive integer, got ${bucketMs}`);
    this.counts = new Float64Array(buckets);
  }

  /** Counts `count` events at `nowMs`. */
  record(nowMs: number, count = 1): void {
    const index = this.slot(this.advance(nowMs));
    this.counts[index] = (this.counts[index] ?? 0) + count;
    this.sum += count;
  }

  /**
   * Events per second over the window that ends at `nowMs`: the events of its buckets (the
   * current, partial one included) divided by the window's length.
   */
  perSecond(nowMs: number): number {
    this.advance(nowMs);
    return (this.sum * MS_PER_SECOND) / (this.buckets * this.bucketMs);
  }

  /** The count of each bucket of the window that ends at `nowMs`, oldest first, the current (partial) one last. */
  series(nowMs: number): number[] {
    const newest = this.advance(nowMs);
    const series: number[] = [];
    for (let bucket = newest - this.buckets + 1; bucket <= newest; bucket += 1) {
      series.push(this.counts[this.slot(bucket)] ?? 0);
    }
    return series;
  }

  /** True when nothing was recorded within the window that ends at `nowMs`. */
  isIdle(nowMs: number): boolean {
    this.advance(nowMs);
    return this.sum === 0;
  }

  /** Moves the window to `nowMs`'s bucket, emptying the buckets it leaves behind; returns that bucket. */
  private advance(nowMs: number): number {
    const bucket = Math.floor(nowMs / this.bucketMs);
    if (bucket <= this.newestBucket) return this.newestBucket; // a clock step back counts as now
    const expired = Math.min(bucket - this.newestBucket, this.buckets);
    for (let i = 1; i <= expired; i += 1) {
      const index = this.slot(bucket - expired + i);
      this.sum -= this.counts[index] ?? 0;
      this.counts[index] = 0;
    }
    if (expired === this.buckets) this.sum = 0; // no drift from floating point after a full turn
    this.newestBucket = bucket;
    return bucket;
  }

  private slot(bucket: number): number {
    return ((bucket % this.buckets) + this.buckets) % this.buckets;
  }
}
