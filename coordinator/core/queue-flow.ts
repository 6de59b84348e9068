import type { Clock, TimerHandle } from '../../shared/clock';
import { QueueFairness } from './queue-fairness';
import { burstOf, effectiveSettings, type QueueSettings, type QueueSettingsOverride } from './queue-settings';
import { TokenBucket } from './token-bucket';

export interface QueueFlowDeps {
  readonly clock: Clock;
  /** Attempts of the queue running now, orphaned ones included. */
  readonly running: (queue: string) => number;
  /** A queue that could not start a task may now (resumed, limit raised, token refilled). */
  readonly onUnblocked: () => void;
  /** The coordinator config file's settings, by queue. */
  readonly configured?: ReadonlyMap<string, QueueSettingsOverride>;
  /** The config file's settings for every queue (retention), under each queue's own. */
  readonly defaults?: QueueSettingsOverride;
}

/**
 * Flow control across all workers: whether a queue may start a task now (paused, its
 * concurrency limit, its rate limit), and which of a worker's queues goes next (weights).
 * Dispatch asks before every lease, so a queue with no settings costs one map lookup.
 */
export class QueueFlow {
  private readonly configured: ReadonlyMap<string, QueueSettingsOverride>;
  private readonly defaults: QueueSettings;
  private readonly stored = new Map<string, QueueSettingsOverride>();
  /** Effective settings of the queues that have any; the others have the defaults. */
  private readonly settings = new Map<string, QueueSettings>();
  private readonly buckets = new Map<string, TokenBucket>();
  /**
   * Each worker's own turn order over its queues. Per worker, not global: workers serve
   * different sets of queues, and one global order lets the queues of one worker sit behind
   * a queue only another worker serves.
   */
  private readonly fairness = new WeakMap<object, QueueFairness>();
  private wakeTimer: TimerHandle | undefined;
  private wakeAtMs = Infinity;

  constructor(private readonly deps: QueueFlowDeps) {
    this.configured = deps.configured ?? new Map();
    this.defaults = effectiveSettings(deps.defaults);
    for (const queue of this.configured.keys()) this.recompute(queue);
  }

  /** The queue's effective settings: defaults, then the config file, then UpdateQueue. */
  settingsOf(queue: string): QueueSettings {
    return this.settings.get(queue) ?? this.defaults;
  }

  /** What UpdateQueue stored for the queue, if anything. */
  storedOf(queue: string): QueueSettingsOverride | undefined {
    return this.stored.get(queue);
  }

  /** The settings of a queue with none of its own. */
  get defaultSettings(): QueueSettings {
    return this.defaults;
  }

  /** Queues with settings of their own (from the config file or UpdateQueue). */
  queuesWithSettings(): IterableIterator<string> {
    return this.settings.keys();
  }

  /** Replaces what UpdateQueue stored for `queue` (an empty override removes it). */
  setStored(queue: string, override: QueueSettingsOverride): void {
    if (Object.values(override).every((value) => value === undefined)) this.stored.delete(queue);
    else this.stored.set(queue, override);
    this.recompute(queue);
    this.deps.onUnblocked();
  }

  /**
   * Of `queues` (a worker's queues with work), those that may start a task now, in the order
   * `worker` should try them: its fairest first. Returns `queues` itself when there is only one
   * and it may start.
   */
  startable(queues: readonly string[], nowMs: number, worker: object): readonly string[] {
    if (queues.length === 1) return this.mayStart(queues[0] as string, nowMs) ? queues : [];
    const open = queues.filter((queue) => this.mayStart(queue, nowMs));
    if (open.length <= 1) return open;
    const first = this.fairnessOf(worker).pick(open);
    return first === undefined || first === open[0] ? open : [first, ...open.filter((queue) => queue !== first)];
  }

  /** `worker` started a task of `queue`: the queue takes a token and its turn. Call only after `startable` offered the queue. */
  started(queue: string, nowMs: number, worker: object): void {
    const settings = this.settings.get(queue);
    this.fairness.get(worker)?.started(queue, settings?.weight ?? 1);
    if (settings && settings.ratePerSecond > 0) this.bucketOf(queue, settings, nowMs).take(nowMs);
  }

  close(): void {
    this.wakeTimer?.cancel();
    this.wakeTimer = undefined;
  }

  private fairnessOf(worker: object): QueueFairness {
    let fairness = this.fairness.get(worker);
    if (!fairness) {
      fairness = new QueueFairness();
      this.fairness.set(worker, fairness);
    }
    return fairness;
  }

  /** Whether `queue` may start a task now (not paused, under its concurrency, a token in its bucket). */
  mayStart(queue: string, nowMs: number): boolean {
    const settings = this.settings.get(queue);
    if (settings === undefined) return true;
    if (settings.paused) return false;
    if (settings.concurrency > 0 && this.deps.running(queue) >= settings.concurrency) return false;
    if (settings.ratePerSecond > 0) {
      const bucket = this.bucketOf(queue, settings, nowMs);
      if (!bucket.available(nowMs)) {
        this.wakeAt(bucket.nextTokenAtMs(nowMs));
        return false;
      }
    }
    return true;
  }

  private bucketOf(queue: string, settings: QueueSettings, nowMs: number): TokenBucket {
    let bucket = this.buckets.get(queue);
    if (!bucket) {
      bucket = new TokenBucket(settings.ratePerSecond, burstOf(settings), nowMs);
      this.buckets.set(queue, bucket);
    }
    return bucket;
  }

  /** Dispatch runs again when a token is due: nothing else would wake a queue that is only rate-limited. */
  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    this.wakeTimer?.cancel();
    this.wakeAtMs = atMs;
    this.wakeTimer = this.deps.clock.setTimer(() => {
      this.wakeTimer = undefined;
      this.wakeAtMs = Infinity;
      this.deps.onUnblocked();
    }, Math.max(0, atMs - this.deps.clock.now()));
  }

  private recompute(queue: string): void {
    const configured = this.configured.get(queue);
    const stored = this.stored.get(queue);
    if (configured === undefined && stored === undefined) {
      this.settings.delete(queue);
      this.buckets.delete(queue);
      return;
    }
    const settings = effectiveSettings(this.defaults, configured, stored);
    this.settings.set(queue, settings);
    if (settings.ratePerSecond > 0) this.buckets.get(queue)?.reconfigure(settings.ratePerSecond, burstOf(settings), this.deps.clock.now());
    else this.buckets.delete(queue);
  }
}
