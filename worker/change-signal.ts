import type { Clock } from '../shared/clock';

/**
 * "Something changed" for whoever waits on the worker's state: close() waits for the
 * handlers to finish, for the last acknowledgements, and for the stream to end, each with a
 * deadline on the worker's clock.
 */
export class ChangeSignal {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Wakes every waiter to check its condition again. */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Waits until `done()` holds or the clock is past `deadlineMs`, checking after each
   * {@link notify}. Its timer is cancelled and its listener removed each time it wakes.
   * @returns true if `done()` holds.
   */
  async waitFor(done: () => boolean, deadlineMs: number): Promise<boolean> {
    while (!done()) {
      const remainingMs = deadlineMs - this.clock.now();
      if (remainingMs <= 0) return false;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          timer.cancel();
          this.listeners.delete(finish);
          resolve();
        };
        const timer = this.clock.setTimer(finish, remainingMs);
        this.listeners.add(finish);
      });
    }
    return true;
  }
}
