import { ResourceExhaustedError } from '../../shared/errors';

export interface WatchLimitOptions {
  /** Open WatchTask streams on one connection. Setting `maxWatchesPerConnection`. */
  readonly perConnection: number;
  /** Open WatchTask streams in total. Setting `maxWatches`. */
  readonly total: number;
  /** A watch whose client has not read for this long is dropped. Setting `watchStallTimeout`. */
  readonly stallMs: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimitOptions = { perConnection: 1000, total: 10_000, stallMs: 30_000 };

/** Counts open watches per connection and in total, and refuses one more past either limit. */
export class WatchLimiter {
  private readonly byConnection = new Map<string, number>();
  private total = 0;

  constructor(readonly options: WatchLimitOptions) {}

  get open(): number {
    return this.total;
  }

  /**
   * Takes a slot; returns the function that gives it back (idempotent).
   * @throws ResourceExhaustedError naming the limit.
   */
  acquire(connection: string): () => void {
    const onConnection = this.byConnection.get(connection) ?? 0;
    if (onConnection >= this.options.perConnection) {
      throw new ResourceExhaustedError(`${onConnection} watches are open on this connection, the limit (maxWatchesPerConnection) is ${this.options.perConnection}`);
    }
    if (this.total >= this.options.total) {
      throw new ResourceExhaustedError(`${this.total} watches are open, the limit (maxWatches) is ${this.options.total}`);
    }
    this.byConnection.set(connection, onConnection + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.byConnection.get(connection) ?? 1) - 1;
      if (left > 0) this.byConnection.set(connection, left);
      else this.byConnection.delete(connection);
    };
  }
}
