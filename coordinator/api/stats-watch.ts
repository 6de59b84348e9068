import type { Clock, TimerHandle } from '../../shared/clock';
import { InvalidArgumentError, ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { WatchStatsRequest, WatchStatsResponse } from '../../shared/gen/baton/v1/stats';
import { durationToMs } from '../../shared/proto-time';
import type { Principal } from '../security/principal';
import { endStreamWithError } from './unary';

export const DEFAULT_STATS_INTERVAL_MS = 2_000;
export const MIN_STATS_INTERVAL_MS = 1_000;
export const MAX_STATS_INTERVAL_MS = 60_000;

/** What a stats watch needs of its grpc-js server stream. */
export interface StatsWatchCall {
  /** False once the stream's buffer is full; 'drain' follows when it empties. */
  write(message: WatchStatsResponse): boolean;
  on(event: 'cancelled' | 'drain', listener: () => void): unknown;
  emit(event: 'error', error: unknown): boolean;
}

export interface StatsWatchDeps {
  readonly clock: Clock;
  /**
   * The snapshot as `caller` may see it, shared with the watches of the same tick
   * (`tickMs`, a whole multiple of the interval; undefined for a watch's first message).
   */
  readonly snapshot: (caller: Principal, history: boolean, tickMs: number | undefined) => WatchStatsResponse;
  /** A client that reads nothing this long is dropped. */
  readonly stallMs: number;
  /** Gives the watch's slot back; told whether the client reset the stream. */
  readonly release: (resetByClient: boolean) => void;
  /** CallGuard.track: re-checks the caller when credentials reload; returns the untrack function. */
  readonly track: (caller: Principal, stillAllowed: (current: Principal) => void, revoke: (err: unknown) => void) => () => void;
  /** Engine.onClose: calls back at shutdown; returns the function that cancels it. */
  readonly onClose: (listener: () => void) => () => void;
}

/** The interval a WatchStats request asks for, checked. */
export function statsInterval(request: WatchStatsRequest): number {
  if (request.interval === undefined) return DEFAULT_STATS_INTERVAL_MS;
  const ms = durationToMs(request.interval) ?? DEFAULT_STATS_INTERVAL_MS;
  if (!(ms >= MIN_STATS_INTERVAL_MS && ms <= MAX_STATS_INTERVAL_MS)) {
    throw new InvalidArgumentError(`interval: must be from ${MIN_STATS_INTERVAL_MS / 1000}s to ${MAX_STATS_INTERVAL_MS / 1000}s`);
  }
  return ms;
}

/**
 * One WatchStats stream: a snapshot now and then every interval, until the client goes. A
 * client that does not read costs one snapshot at most: ticks while the stream's buffer is
 * full are skipped (the next one after 'drain' is current), and a client that reads nothing
 * for `stallMs` is dropped with RESOURCE_EXHAUSTED.
 */
export class StatsWatch {
  private caller: Principal;
  private timer: TimerHandle | undefined;
  private stallTimer: TimerHandle | undefined;
  private blocked = false;
  private done = false;
  private untrack: () => void = () => undefined;
  private forgetClose: () => void = () => undefined;

  constructor(
    private readonly call: StatsWatchCall,
    private readonly deps: StatsWatchDeps,
    caller: Principal,
    private readonly intervalMs: number,
    private readonly history: boolean,
  ) {
    this.caller = caller;
  }

  start(stillAllowed: (current: Principal) => void): void {
    this.call.on('cancelled', () => this.stop(true));
    this.call.on('drain', () => this.drained());
    this.untrack = this.deps.track(
      this.caller,
      (current) => {
        stillAllowed(current);
        this.caller = current; // a narrower credential sees less from the next snapshot on
      },
      (err) => this.fail(err),
    );
    this.forgetClose = this.deps.onClose(() => this.fail(new UnavailableError('the coordinator is shutting down; watch again')));
    this.tick(undefined);
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.stop();
    endStreamWithError(this.call, err);
  }

  private tick(tickMs: number | undefined): void {
    if (this.done) return;
    if (!this.blocked && !this.call.write(this.deps.snapshot(this.caller, this.history, tickMs))) {
      this.blocked = true;
      this.stallTimer = this.deps.clock.setTimer(() => this.stalled(), this.deps.stallMs);
    }
    // On whole multiples of the interval, as every watch with this interval: they share the snapshot.
    const nowMs = this.deps.clock.now();
    const next = (Math.floor(nowMs / this.intervalMs) + 1) * this.intervalMs;
    this.timer = this.deps.clock.setTimer(() => this.tick(next), next - nowMs);
  }

  private drained(): void {
    this.blocked = false;
    this.stallTimer?.cancel();
  }

  private stalled(): void {
    this.fail(new ResourceExhaustedError(`the watch was dropped: its client read nothing for ${this.deps.stallMs}ms (watchStallTimeout)`));
  }

  private stop(resetByClient = false): void {
    if (this.done) return;
    this.done = true;
    this.timer?.cancel();
    this.stallTimer?.cancel();
    this.untrack();
    this.forgetClose();
    this.deps.release(resetByClient);
  }
}
