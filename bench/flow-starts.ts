/**
 * How a rate-limited queue's tasks actually started, from the coordinator's attempt
 * start times (the moment each lease was granted, which is what the token bucket governs).
 */

/** What the starts of one queue say about its rate limit. */
export interface StartProfile {
  readonly starts: number;
  /** From the first start to the last, ms. */
  readonly spanMs: number;
  /** Starts beyond the initial burst per second of the span: at most the rate for a bucket that starts full. */
  readonly sustainedPerS: number;
  /** The most starts in any window of one second. A bucket allows at most rate + burst. */
  readonly maxInOneS: number;
  /**
   * The worst window of any length T: starts in it − rate × T. A token bucket of `burst`
   * tokens keeps this at or below `burst` (the bucket starts full).
   */
  readonly worstExcess: number;
}

/** @param startsMs - start times in ms, any order. */
export function startProfile(startsMs: readonly number[], ratePerS: number, burst: number): StartProfile {
  const sorted = [...startsMs].sort((a, b) => a - b);
  const n = sorted.length;
  const first = sorted[0] ?? NaN;
  const last = sorted[n - 1] ?? NaN;
  const spanMs = last - first;
  return {
    starts: n,
    spanMs,
    sustainedPerS: n > burst && spanMs > 0 ? (n - burst) / (spanMs / 1000) : NaN,
    maxInOneS: maxInWindow(sorted, 1000),
    worstExcess: worstExcess(sorted, ratePerS),
  };
}

/** Two pointers over sorted times: the most of them within any `windowMs` (half-open). */
function maxInWindow(sorted: readonly number[], windowMs: number): number {
  let best = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to += 1) {
    while ((sorted[to] as number) - (sorted[from] as number) >= windowMs) from += 1;
    best = Math.max(best, to - from + 1);
  }
  return best;
}

/**
 * max over i ≤ j of (j − i + 1) − rate × (t_j − t_i): with f(k) = k − rate × t_k, that is
 * f(j) − min_{i ≤ j} f(i) + 1, one pass.
 */
function worstExcess(sorted: readonly number[], ratePerS: number): number {
  let worst = 0;
  let lowest = Infinity;
  sorted.forEach((atMs, k) => {
    const f = k - (ratePerS * atMs) / 1000;
    lowest = Math.min(lowest, f);
    worst = Math.max(worst, f - lowest + 1);
  });
  return worst;
}
