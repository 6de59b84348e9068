import type { Clock, TimerHandle } from '../shared/clock';

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason as soon as it aborts.
 * The timer is cancelled and the listener removed either way.
 */
export function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal.reason);
    };
    const timer = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls `tick` every `intervalMs` on `clock` until the returned handle is cancelled (from inside `tick` too). */
export function repeatOn(clock: Clock, intervalMs: number, tick: () => void): TimerHandle {
  let cancelled = false;
  let timer: TimerHandle;
  const arm = (): void => {
    timer = clock.setTimer(() => {
      if (cancelled) return;
      arm();
      tick();
    }, intervalMs);
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      timer.cancel();
    },
  };
}
