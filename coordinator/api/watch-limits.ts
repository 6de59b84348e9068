import { HTTP_PEER_PREFIX } from './call-guard';
import type { Clock } from '../../shared/clock';
import { ResourceExhaustedError } from '../../shared/errors';

export interface WatchLimitOptions {
  /** Open WatchTask streams on one connection. Setting `maxWatchesPerConnection`. */
  readonly perConnection: number;
  /** Open WatchTask streams in total. Setting `maxWatches`. */
  readonly total: number;
  /** A watch whose client has not read for this long is dropped. Setting `watchStallTimeout`. */
  readonly stallMs: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimitOptions = { perConnection: 500, total: 10_000, stallMs: 30_000 };

/**
 * nghttp2 (inside Node's http2) lets a client reset RESET_BURST streams on one connection,
 * then RESET_RATE_PER_S more each second; one reset more and the server sends
 * GOAWAY(INTERNAL_ERROR), failing every call on the connection, those of other clients that
 * share it included. Node 20 cannot change these numbers (Node 22 added streamResetBurst and
 * streamResetRate; grpc-js does not pass them through). So a connection may hold no more open
 * watches than the resets it has left, less some headroom: even a client that cancels every
 * watch at once stays under the limit, and a watch that does not fit is refused with
 * RESOURCE_EXHAUSTED (the SDK then waits and watches again) instead of costing the connection.
 */
export const RESET_BURST = 1000;
/** nghttp2 refills 33 a second, in whole seconds; stay under it. */
export const RESET_RATE_PER_S = 30;
export const RESET_HEADROOM = 100;

const MIN_SWEEP_SIZE = 1024;
/** Time for an empty reset budget to refill completely. */
const REFILL_MS = Math.ceil((RESET_BURST / RESET_RATE_PER_S) * 1000);

interface ConnectionWatches {
  open: number;
  resetsLeft: number;
  updatedMs: number;
}

/** Counts open watches per connection and in total, and refuses one more past a limit. */
export class WatchLimiter {
  private readonly connections = new Map<string, ConnectionWatches>();
  private total = 0;
  /** The size of `connections` that triggers the next sweep of closed, refilled entries. */
  private sweepAt = MIN_SWEEP_SIZE;
  private lastSweepMs: number;

  constructor(
    readonly options: WatchLimitOptions,
    private readonly clock: Clock,
  ) {
    this.lastSweepMs = clock.now();
  }

  get open(): number {
    return this.total;
  }

  /** Connections remembered (for their reset budget); for tests and metrics. */
  get connectionsTracked(): number {
    return this.connections.size;
  }

  /**
   * Takes a slot; returns the function that gives it back (idempotent), told whether the
   * client ended the watch with a reset.
   * @throws ResourceExhaustedError naming the limit.
   */
  acquire(connection: string): (resetByClient: boolean) => void {
    const size = this.connections.size;
    if (size >= this.sweepAt || (size > MIN_SWEEP_SIZE && this.clock.now() - this.lastSweepMs >= REFILL_MS)) this.sweep();
    const watches = this.refilled(connection);
    const resetRoom = Math.floor(watches.resetsLeft) - RESET_HEADROOM;
    if (watches.open >= this.options.perConnection) {
      throw new ResourceExhaustedError(`${watches.open} watches are open on this connection, the limit (maxWatchesPerConnection) is ${this.options.perConnection}`);
    }
    if (watches.open >= resetRoom) {
      throw new ResourceExhaustedError(
        `this connection cancelled too many streams lately: it may hold ${Math.max(resetRoom, 0)} watches for now (HTTP/2 reset limit of ${RESET_BURST}, then ${RESET_RATE_PER_S}/s); watch again shortly`,
      );
    }
    if (this.total >= this.options.total) {
      throw new ResourceExhaustedError(`${this.total} watches are open, the limit (maxWatches) is ${this.options.total}`);
    }
    watches.open += 1;
    this.total += 1;
    let released = false;
    return (resetByClient) => {
      if (released) return;
      released = true;
      this.total -= 1;
      const now = this.refilled(connection);
      now.open -= 1;
      // An HTTP client closing its stream resets nothing: HTTP/1.1 has no stream resets to budget.
      if (resetByClient && !connection.startsWith(HTTP_PEER_PREFIX)) now.resetsLeft = Math.max(0, now.resetsLeft - 1);
      if (now.open === 0 && now.resetsLeft >= RESET_BURST) this.connections.delete(connection);
    };
  }

  /**
   * Forgets connections with no watch open whose reset budget has refilled: nothing about
   * them matters any more, and a closed connection's address is never seen again. Amortised:
   * the next sweep waits until the map has doubled, or a whole refill time has passed.
   */
  private sweep(): void {
    this.lastSweepMs = this.clock.now();
    for (const connection of [...this.connections.keys()]) {
      const watches = this.refilled(connection);
      if (watches.open === 0 && watches.resetsLeft >= RESET_BURST) this.connections.delete(connection);
    }
    this.sweepAt = Math.max(MIN_SWEEP_SIZE, 2 * this.connections.size);
  }

  private refilled(connection: string): ConnectionWatches {
    const nowMs = this.clock.now();
    const watches = this.connections.get(connection) ?? { open: 0, resetsLeft: RESET_BURST, updatedMs: nowMs };
    watches.resetsLeft = Math.min(RESET_BURST, watches.resetsLeft + ((nowMs - watches.updatedMs) * RESET_RATE_PER_S) / 1000);
    watches.updatedMs = nowMs;
    this.connections.set(connection, watches);
    return watches;
  }
}
