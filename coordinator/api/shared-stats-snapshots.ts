import type { WatchStatsResponse } from '../../shared/gen/baton/v1/stats';
import type { Principal } from '../security/principal';

/**
 * One stats snapshot per tick for all the watchers who may see the same thing: stats watches
 * tick on whole multiples of their interval, so a hundred dashboards cost one snapshot (and,
 * over HTTP, one JSON encoding) a tick instead of a hundred. Watchers see the same thing when
 * they ask for the same history flag with the same queue limits.
 */
export class SharedStatsSnapshots {
  private tickMs = Number.NaN;
  private readonly byView = new Map<string, WatchStatsResponse>();

  constructor(private readonly take: (caller: Principal, history: boolean) => WatchStatsResponse) {}

  /** The snapshot for `caller` at tick `tickMs`; a fresh one when `tickMs` is undefined (a watch's first message). */
  get(caller: Principal, history: boolean, tickMs: number | undefined): WatchStatsResponse {
    if (tickMs === undefined) return this.take(caller, history);
    if (tickMs !== this.tickMs) {
      this.tickMs = tickMs;
      this.byView.clear();
    }
    const key = `${history ? 'h' : '-'}|${caller.queues === null ? '*' : [...caller.queues].sort().join(',')}`;
    let snapshot = this.byView.get(key);
    if (!snapshot) {
      snapshot = this.take(caller, history);
      this.byView.set(key, snapshot);
    }
    return snapshot;
  }
}
