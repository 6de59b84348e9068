/**
 * Time as a dependency, so that lease, retry and scheduling logic can be driven by a fake
 * clock in unit tests (test/support/fake-clock.ts) without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs`; the returned handle cancels it. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
}

/** Node's timers cannot wait longer than 2^31-1 ms; longer waits are chained. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The real clock. Its timers are unref()'d: a pending timer never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    let timer: NodeJS.Timeout;
    const arm = (remainingMs: number): void => {
      const stepMs = Math.min(Math.max(0, remainingMs), MAX_TIMER_DELAY_MS);
      timer = setTimeout(() => {
        if (remainingMs > MAX_TIMER_DELAY_MS) arm(remainingMs - MAX_TIMER_DELAY_MS);
        else callback();
      }, stepMs);
      timer.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};
