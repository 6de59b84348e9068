/**
 * The `queues` section of the coordinator's config: per queue, the defaults its tasks get
 * (attempts, timeout, retry) and its flow-control settings (concurrency, rate, pause, weight,
 * retention), each overriding the global setting of the same meaning.
 */
import { parseDurationMs } from '../shared/duration';
import { ConfigError, errorMessage } from '../shared/errors';
import type { TaskDefaults } from './api/task-defaults';
import { MAX_QUEUE_CONCURRENCY, MAX_QUEUE_RATE, MAX_QUEUE_WEIGHT, type QueueSettingsOverride } from './core/queue-settings';

const TASK_DEFAULT_KEYS = ['maxAttempts', 'timeout', 'retryInitialBackoff', 'retryMultiplier', 'retryMaxBackoff', 'retryJitter', 'maxInfraFailures'];
const FLOW_KEYS = ['concurrency', 'rate', 'burst', 'weight', 'paused', 'retention', 'deadRetention'];
const QUEUE_KEYS = [...TASK_DEFAULT_KEYS, ...FLOW_KEYS];

export interface QueueConfig {
  /** Per queue, already merged over the global task defaults. */
  readonly taskDefaults: ReadonlyMap<string, TaskDefaults>;
  /** Per queue, only what the config sets. */
  readonly settings: ReadonlyMap<string, QueueSettingsOverride>;
}

export function compileQueueConfig(defaults: TaskDefaults, queues: Readonly<Record<string, unknown>>): QueueConfig {
  const taskDefaults = new Map<string, TaskDefaults>();
  const settings = new Map<string, QueueSettingsOverride>();
  for (const [queue, raw] of Object.entries(queues)) {
    const where = `queues.${queue}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(where, 'expected an object of queue settings');
    const entry = raw as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!QUEUE_KEYS.includes(key)) throw new ConfigError(`${where}.${key}`, `unknown queue setting (known: ${QUEUE_KEYS.join(', ')})`);
    }
    const read = entryReader(entry, where);
    taskDefaults.set(queue, taskDefaultsOf(read, defaults));
    const flow = flowSettingsOf(read, entry, where);
    if (Object.keys(flow).length > 0) settings.set(queue, flow);
  }
  return { taskDefaults, settings };
}

interface EntryReader {
  duration(key: string, fallback: number): number;
  number(key: string, fallback: number, min: number, max: number): number;
}

function entryReader(entry: Record<string, unknown>, where: string): EntryReader {
  return {
    duration(key, fallback) {
      const value = entry[key];
      if (value === undefined) return fallback;
      try {
        return parseDurationMs(value as string | number, `${where}.${key}`);
      } catch (err: unknown) {
        // The message names the setting already.
        throw new ConfigError(`${where}.${key}`, errorMessage(err).replace(`${where}.${key}: `, ''), { cause: err });
      }
    },
    number(key, fallback, min, max) {
      const value = entry[key];
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        throw new ConfigError(`${where}.${key}`, `must be a number between ${min} and ${max}, got ${JSON.stringify(value)}`);
      }
      return value;
    },
  };
}

function taskDefaultsOf(read: EntryReader, defaults: TaskDefaults): TaskDefaults {
  const infra = read.number('maxInfraFailures', defaults.maxInfraFailures ?? -1, -1, 1000);
  return {
    maxAttempts: read.number('maxAttempts', defaults.maxAttempts, 1, 1000),
    timeoutMs: read.duration('timeout', defaults.timeoutMs),
    retry: {
      initialMs: read.duration('retryInitialBackoff', defaults.retry.initialMs),
      multiplier: read.number('retryMultiplier', defaults.retry.multiplier, 1, 100),
      maxMs: read.duration('retryMaxBackoff', defaults.retry.maxMs),
      jitter: read.number('retryJitter', defaults.retry.jitter, 0, 1),
    },
    maxInfraFailures: infra < 0 ? null : infra,
  };
}

function flowSettingsOf(read: EntryReader, entry: Record<string, unknown>, where: string): QueueSettingsOverride {
  const settings: { -readonly [K in keyof QueueSettingsOverride]: QueueSettingsOverride[K] } = {};
  if (entry.concurrency !== undefined) settings.concurrency = Math.floor(read.number('concurrency', 0, 0, MAX_QUEUE_CONCURRENCY));
  if (entry.rate !== undefined) settings.ratePerSecond = read.number('rate', 0, 0, MAX_QUEUE_RATE);
  if (entry.burst !== undefined) settings.burst = Math.floor(read.number('burst', 0, 0, MAX_QUEUE_RATE));
  if (entry.weight !== undefined) settings.weight = Math.floor(read.number('weight', 1, 1, MAX_QUEUE_WEIGHT));
  if (entry.paused !== undefined) {
    if (typeof entry.paused !== 'boolean') throw new ConfigError(`${where}.paused`, `must be true or false, got ${JSON.stringify(entry.paused)}`);
    settings.paused = entry.paused;
  }
  if (entry.retention !== undefined) settings.retentionMs = read.duration('retention', 0);
  if (entry.deadRetention !== undefined) settings.deadRetentionMs = read.duration('deadRetention', 0);
  return settings;
}
