/**
 * Conversions between schedules and queue settings and their SQLite rows. Unlike tasks these
 * are few and rarely written, so they bind by name, for clarity over speed.
 */
import type { BackoffPolicy } from '../../shared/backoff';
import { BatonError } from '../../shared/errors';
import type { QueueSettings, QueueSettingsOverride } from '../core/queue-settings';
import type { Cadence, CatchUpPolicy, OverlapPolicy, ScheduleRecord } from '../schedules/schedule';
import { QUEUE_SETTING_TYPES, definedSettings } from './store-queries';

/** A `schedules` row as better-sqlite3 binds and returns it (named parameters match the columns). */
export interface ScheduleRow {
  name: string;
  cadence_kind: string;
  cron_expression: string | null;
  interval_ms: number | null;
  timezone: string;
  queue: string;
  type: string;
  payload: Buffer;
  content_type: string;
  priority: number;
  max_attempts: number;
  retry: string;
  max_infra_failures: number | null;
  timeout_ms: number;
  labels: string;
  overlap: string;
  catch_up: string;
  catch_up_limit: number;
  start_at_ms: number | null;
  end_at_ms: number | null;
  jitter_ms: number;
  paused: number;
  last_fire_ms: number;
  skipped_fires: number;
  buffered_fire_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** Every `schedules` column, in schema order. */
export const SCHEDULE_COLUMNS: ReadonlyArray<keyof ScheduleRow> = [
  'name', 'cadence_kind', 'cron_expression', 'interval_ms', 'timezone', 'queue', 'type', 'payload', 'content_type', 'priority',
  'max_attempts', 'retry', 'max_infra_failures', 'timeout_ms', 'labels', 'overlap', 'catch_up', 'catch_up_limit', 'start_at_ms',
  'end_at_ms', 'jitter_ms', 'paused', 'last_fire_ms', 'skipped_fires', 'buffered_fire_ms', 'created_at_ms', 'updated_at_ms',
];

/**
 * The row of a schedule, as it is now: the payload is copied, since the caller may reuse
 * its buffer before the commit.
 */
export function scheduleToRow(schedule: ScheduleRecord): ScheduleRow {
  const { spec } = schedule;
  const { template } = spec;
  return {
    name: spec.name,
    cadence_kind: spec.cadence.kind,
    cron_expression: spec.cadence.kind === 'cron' ? spec.cadence.expression : null,
    interval_ms: spec.cadence.kind === 'every' ? spec.cadence.intervalMs : null,
    timezone: spec.timezone,
    queue: template.queue,
    type: template.type,
    payload: Buffer.from(template.payload),
    content_type: template.contentType,
    priority: template.priority,
    max_attempts: template.maxAttempts,
    retry: JSON.stringify(template.retry),
    max_infra_failures: template.maxInfraFailures,
    timeout_ms: template.timeoutMs,
    labels: JSON.stringify(template.labels),
    overlap: spec.overlap,
    catch_up: spec.catchUp,
    catch_up_limit: spec.catchUpLimit,
    start_at_ms: spec.startAtMs,
    end_at_ms: spec.endAtMs,
    jitter_ms: spec.jitterMs,
    paused: schedule.paused ? 1 : 0,
    last_fire_ms: schedule.lastFireMs,
    skipped_fires: schedule.skippedFires,
    buffered_fire_ms: schedule.bufferedFireMs,
    created_at_ms: schedule.createdAtMs,
    updated_at_ms: schedule.updatedAtMs,
  };
}

/** The CHECK constraints admit only the enum values and a cadence column that matches its kind. */
export function rowToSchedule(row: ScheduleRow): ScheduleRecord {
  return {
    spec: {
      name: row.name,
      cadence: cadenceOf(row),
      timezone: row.timezone,
      template: {
        queue: row.queue,
        type: row.type,
        payload: row.payload,
        contentType: row.content_type,
        priority: row.priority,
        maxAttempts: row.max_attempts,
        retry: parseObject(row.retry, `schedule ${row.name}: column retry`) as unknown as BackoffPolicy,
        maxInfraFailures: row.max_infra_failures,
        timeoutMs: row.timeout_ms,
        labels: parseLabels(row),
      },
      overlap: row.overlap as OverlapPolicy,
      catchUp: row.catch_up as CatchUpPolicy,
      catchUpLimit: row.catch_up_limit,
      startAtMs: row.start_at_ms,
      endAtMs: row.end_at_ms,
      jitterMs: row.jitter_ms,
    },
    paused: row.paused === 1,
    lastFireMs: row.last_fire_ms,
    skippedFires: row.skipped_fires,
    bufferedFireMs: row.buffered_fire_ms,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

function cadenceOf(row: ScheduleRow): Cadence {
  if (row.cadence_kind === 'cron' && row.cron_expression !== null) return { kind: 'cron', expression: row.cron_expression };
  if (row.cadence_kind === 'every' && row.interval_ms !== null) return { kind: 'every', intervalMs: row.interval_ms };
  throw new BatonError('INTERNAL', `schedule ${row.name}: cadence ${row.cadence_kind} lacks its column`);
}

function parseLabels(row: ScheduleRow): Readonly<Record<string, string>> {
  const labels = parseObject(row.labels, `schedule ${row.name}: column labels`);
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string') throw new BatonError('INTERNAL', `schedule ${row.name}: labels.${key} is not a string`);
  }
  return labels as Record<string, string>;
}

/**
 * The `settings` column of a queue's override: its defined fields as JSON, or null when it has
 * none (the row is deleted).
 * @throws InvalidArgumentError for a setting of the wrong kind (store-queries.ts definedSettings).
 */
export function queueSettingsJson(queue: string, settings: QueueSettingsOverride): string | null {
  const defined = definedSettings(queue, settings);
  return defined === undefined ? null : JSON.stringify(defined);
}

/** @throws BatonError INTERNAL when the column does not hold a settings object. */
export function parseQueueSettings(queue: string, json: string): QueueSettingsOverride {
  const value = parseObject(json, `queue ${queue}: column settings`);
  for (const [key, entry] of Object.entries(value)) {
    const expected = QUEUE_SETTING_TYPES[key as keyof QueueSettings] as string | undefined;
    if (typeof entry !== expected) {
      throw new BatonError('INTERNAL', `queue ${queue}: stored setting ${key} is ${expected === undefined ? 'unknown' : `not a ${expected}`}`);
    }
  }
  return value;
}

function parseObject(json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err: unknown) {
    throw new BatonError('INTERNAL', `${what} holds invalid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BatonError('INTERNAL', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The columns every fire changes; the spec's columns stay as they are. */
export const SCHEDULE_STATE_COLUMNS = ['paused', 'last_fire_ms', 'skipped_fires', 'buffered_fire_ms', 'updated_at_ms'] as const;

/** The `updateScheduleState` parameters: {@link SCHEDULE_STATE_COLUMNS} in order, then the name. */
export function scheduleStateValues(schedule: ScheduleRecord): Array<string | number | null> {
  return [schedule.paused ? 1 : 0, schedule.lastFireMs, schedule.skippedFires, schedule.bufferedFireMs, schedule.updatedAtMs, schedule.spec.name];
}
