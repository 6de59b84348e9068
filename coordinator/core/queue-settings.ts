/**
 * A queue's flow-control settings: what dispatch enforces (concurrency, rate, pause, weight)
 * and how long finished tasks are kept. The effective settings of a queue are the defaults,
 * overridden by the coordinator's config file, overridden by what UpdateQueue stored.
 */
export interface QueueSettings {
  /** Tasks running at once across all workers; 0 for no limit. */
  readonly concurrency: number;
  /** Tasks started per second (token bucket); 0 for no limit. */
  readonly ratePerSecond: number;
  /** Tokens the bucket holds when full; 0 means max(1, ceil(ratePerSecond)). */
  readonly burst: number;
  /** Share of a worker's slots relative to its other queues; 1 to MAX_QUEUE_WEIGHT. */
  readonly weight: number;
  readonly paused: boolean;
  /** How long succeeded and canceled tasks are kept after they finished; 0 keeps them forever. */
  readonly retentionMs: number;
  /** How long dead tasks are kept after they finished; 0 keeps them forever. */
  readonly deadRetentionMs: number;
}

/** Some of a queue's settings: what a config file or UpdateQueue sets. */
export type QueueSettingsOverride = Partial<QueueSettings>;

export const MAX_QUEUE_WEIGHT = 1000;
/** Past these, a setting is a typo rather than a limit. */
export const MAX_QUEUE_CONCURRENCY = 1_000_000;
export const MAX_QUEUE_RATE = 1_000_000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = Object.freeze({
  concurrency: 0,
  ratePerSecond: 0,
  burst: 0,
  weight: 1,
  paused: false,
  retentionMs: 7 * DAY_MS,
  deadRetentionMs: 30 * DAY_MS,
});

/** The settings names UpdateQueue's update_mask may name, as on the wire. */
export const QUEUE_SETTING_FIELDS = ['concurrency', 'rate', 'burst', 'weight', 'paused', 'retention', 'dead_retention'] as const;

/** Later overrides win field by field. */
export function effectiveSettings(...layers: ReadonlyArray<QueueSettingsOverride | undefined>): QueueSettings {
  let settings: QueueSettings = DEFAULT_QUEUE_SETTINGS;
  for (const layer of layers) if (layer) settings = { ...settings, ...definedFields(layer) };
  return settings;
}

/** The burst a bucket actually has: the setting, or one second's worth of tokens (at least 1). */
export function burstOf(settings: QueueSettings): number {
  return settings.burst > 0 ? settings.burst : Math.max(1, Math.ceil(settings.ratePerSecond));
}

function definedFields(layer: QueueSettingsOverride): QueueSettingsOverride {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(layer)) if (value !== undefined) out[key] = value;
  return out;
}
