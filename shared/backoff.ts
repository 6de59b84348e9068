/**
 * Exponential backoff with jitter: the one formula behind task retries and worker reconnects.
 */
export interface BackoffPolicy {
  /** Delay after the first failure. */
  readonly initialMs: number;
  /** Growth per further failure; at least 1. */
  readonly multiplier: number;
  /** Upper bound of the delay before jitter. */
  readonly maxMs: number;
  /** Fraction of the delay that is randomised, in [0, 1]: the delay shrinks by up to this much. */
  readonly jitter: number;
}

/**
 * The delay after the `failures`-th consecutive failure (1-based):
 * min(initialMs * multiplier^(failures-1), maxMs) * (1 - jitter * random()).
 */
export function backoffDelayMs(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(policy.initialMs * policy.multiplier ** exponent, policy.maxMs);
  return Math.round(base * (1 - policy.jitter * random()));
}
