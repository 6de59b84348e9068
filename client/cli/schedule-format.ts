import { formatDurationMs } from '../../shared/duration';
import type { Schedule, ScheduleFire, ScheduleSpec, TaskTemplate } from '../../shared/gen/baton/v1/schedule';
import type { RetryPolicy } from '../../shared/gen/baton/v1/task';
import { JSON_CONTENT_TYPE } from '../../shared/payload';
import { durationToMs } from '../../shared/proto-time';
import { catchUpPolicyName, overlapPolicyName, type CatchUpPolicyName, type OverlapPolicyName } from '../schedule-policies';
import { taskStateName } from '../task-state-names';
import type { CliIo } from './cli-io';
import type { GlobalSettings } from './global-options';
import { bytesForPeople, bytesToJson, formatColumns, formatKeyValues, formatLabels, isoOrNull } from './format';

/** schedule.proto: a catch-up limit of 0 means 100. */
const DEFAULT_CATCH_UP_LIMIT = 100;

/** How retries of a template's tasks are spaced, in `--json` output; null where the coordinator's default applies. */
export interface RetryJson {
  readonly initialBackoffMs: number | null;
  readonly multiplier: number | null;
  readonly maxBackoffMs: number | null;
  readonly jitter: number | null;
  readonly maxInfrastructureFailures: number | null;
}

/** What each fire submits, in `--json` output. Payload as in TaskJson. */
export interface TaskTemplateJson {
  readonly type: string;
  readonly queue: string;
  readonly contentType: string;
  readonly payload: unknown;
  readonly priority: number;
  /** 0: the coordinator's default. */
  readonly maxAttempts: number;
  /** Null: the queue's default; 0: none. */
  readonly timeoutMs: number | null;
  readonly labels: Record<string, string>;
  readonly retry: RetryJson | null;
}

/** One fire in `--json` output. */
export interface ScheduleFireJson {
  readonly fireTime: string | null;
  /** Null for a fire that submitted no task. */
  readonly taskId: string | null;
  /** The task's state now; null for no task, `unspecified` once retention deleted it. */
  readonly taskState: string | null;
}

/**
 * One schedule in `--json` output. Policies and the catch-up limit are the ones in force
 * (defaults filled in); times are ISO 8601 or null.
 */
export interface ScheduleJson {
  readonly name: string;
  readonly cron: string | null;
  readonly everyMs: number | null;
  readonly timezone: string;
  readonly overlap: OverlapPolicyName;
  readonly catchUp: CatchUpPolicyName;
  readonly catchUpLimit: number;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly jitterMs: number | null;
  readonly task: TaskTemplateJson | null;
  readonly paused: boolean;
  readonly nextFireTimes: string[];
  /** Newest first; empty in `schedule list`, which the coordinator answers without them. */
  readonly recentFires: ScheduleFireJson[];
  readonly lastFireTime: string | null;
  readonly skippedFires: number;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export function scheduleToJson(schedule: Schedule): ScheduleJson {
  const spec = schedule.spec;
  return {
    name: spec?.name ?? '',
    cron: spec?.cron || null,
    everyMs: durationToMs(spec?.every) ?? null,
    timezone: spec?.timezone || 'UTC',
    overlap: overlapPolicyName(spec?.overlap ?? 0),
    catchUp: catchUpPolicyName(spec?.catchUp ?? 0),
    catchUpLimit: spec?.catchUpLimit || DEFAULT_CATCH_UP_LIMIT,
    startTime: isoOrNull(spec?.startTime),
    endTime: isoOrNull(spec?.endTime),
    jitterMs: durationToMs(spec?.jitter) ?? null,
    task: spec?.task ? templateToJson(spec.task) : null,
    paused: schedule.paused,
    nextFireTimes: schedule.nextFireTimes.map((time) => time.toISOString()),
    recentFires: schedule.recentFires.map(fireToJson),
    lastFireTime: isoOrNull(schedule.lastFireTime),
    skippedFires: schedule.skippedFires,
    createdAt: isoOrNull(schedule.createdAt),
    updatedAt: isoOrNull(schedule.updatedAt),
  };
}

function templateToJson(task: TaskTemplate): TaskTemplateJson {
  return {
    type: task.type,
    queue: task.queue || 'default',
    contentType: task.contentType || JSON_CONTENT_TYPE,
    payload: bytesToJson(task.payload, task.contentType),
    priority: task.priority,
    maxAttempts: task.maxAttempts,
    timeoutMs: durationToMs(task.timeout) ?? null,
    labels: { ...task.labels },
    retry: task.retry ? retryToJson(task.retry) : null,
  };
}

function retryToJson(retry: RetryPolicy): RetryJson {
  return {
    initialBackoffMs: durationToMs(retry.initialBackoff) ?? null,
    multiplier: retry.multiplier ?? null,
    maxBackoffMs: durationToMs(retry.maxBackoff) ?? null,
    jitter: retry.jitter ?? null,
    maxInfrastructureFailures: retry.maxInfrastructureFailures ?? null,
  };
}

function fireToJson(fire: ScheduleFire): ScheduleFireJson {
  return {
    fireTime: isoOrNull(fire.fireTime),
    taskId: fire.taskId || null,
    taskState: fire.taskId ? taskStateName(fire.taskState) : null,
  };
}

/** One line of `--json` output. */
export function formatScheduleJsonLine(schedule: Schedule): string {
  return `${JSON.stringify(scheduleToJson(schedule))}\n`;
}

/** Prints one schedule: a JSON line with `--json`, else the aligned block. */
export function printSchedule(io: CliIo, settings: Pick<GlobalSettings, 'json'>, schedule: Schedule): void {
  io.stdout(settings.json ? formatScheduleJsonLine(schedule) : formatScheduleBlock(schedule));
}

/** A schedule for people: its spec, state and counts as a `key: value` block, then its next and recent fires. */
export function formatScheduleBlock(schedule: Schedule): string {
  const spec = schedule.spec;
  const rows: Array<[string, string | undefined]> = [
    ['name', spec?.name],
    ['state', schedule.paused ? 'paused' : 'active'],
    ...(spec ? specRows(spec) : []),
    ['skipped fires', `${schedule.skippedFires} (by the overlap policy)`],
    ['caught up to', schedule.lastFireTime?.toISOString()],
    ['created', schedule.createdAt?.toISOString()],
    ['updated', schedule.updatedAt?.toISOString()],
  ];
  let out = formatKeyValues(rows);
  out += `next fires:\n${indentLines(nextFireLines(schedule))}`;
  if (schedule.recentFires.length > 0) {
    out += `recent fires:\n${indentLines(formatColumns(schedule.recentFires.map(fireRow)).trimEnd().split('\n'))}`;
  }
  return out;
}

function specRows(spec: ScheduleSpec): Array<[string, string | undefined]> {
  const task = spec.task;
  const catchUp = catchUpPolicyName(spec.catchUp);
  return [
    ['when', cadenceText(spec)],
    ['start', spec.startTime?.toISOString()],
    ['end', spec.endTime?.toISOString()],
    ['jitter', optionalDuration(durationToMs(spec.jitter))],
    ['overlap', overlapPolicyName(spec.overlap)],
    ['catch-up', catchUp === 'all' ? `all (at most ${spec.catchUpLimit || DEFAULT_CATCH_UP_LIMIT})` : catchUp],
    ['type', task?.type],
    ['queue', task ? task.queue || 'default' : undefined],
    ['payload', task ? bytesForPeople(task.payload, task.contentType) : undefined],
    ['content type', task?.contentType && task.contentType !== JSON_CONTENT_TYPE ? task.contentType : undefined],
    ['priority', task?.priority ? String(task.priority) : undefined],
    ['max attempts', task?.maxAttempts ? String(task.maxAttempts) : undefined],
    ['timeout', timeoutText(durationToMs(task?.timeout))],
    ['retry', task?.retry ? retryText(task.retry) : undefined],
    ['labels', task ? formatLabels(task.labels) : undefined],
  ];
}

/** `cron 0 3 * * * (Europe/Berlin)`, `every 15m`. */
export function cadenceText(spec: ScheduleSpec): string {
  const everyMs = durationToMs(spec.every);
  if (spec.cron) return `cron ${spec.cron} (${spec.timezone || 'UTC'})`;
  return everyMs === undefined ? '-' : `every ${formatDurationMs(everyMs)}`;
}

function nextFireLines(schedule: Schedule): string[] {
  if (schedule.nextFireTimes.length > 0) return schedule.nextFireTimes.map((time) => time.toISOString());
  return [schedule.paused ? 'none while paused' : 'none (past its end)'];
}

function fireRow(fire: ScheduleFire): string[] {
  const time = fire.fireTime?.toISOString() ?? '-';
  return fire.taskId ? [time, fire.taskId, taskStateName(fire.taskState)] : [time, '(skipped)', ''];
}

function retryText(retry: RetryPolicy): string | undefined {
  const parts: string[] = [];
  const initialMs = durationToMs(retry.initialBackoff);
  const maxMs = durationToMs(retry.maxBackoff);
  if (initialMs !== undefined) parts.push(`initial backoff ${formatDurationMs(initialMs)}`);
  if (retry.multiplier !== undefined) parts.push(`multiplier ${retry.multiplier}`);
  if (maxMs !== undefined) parts.push(`max backoff ${formatDurationMs(maxMs)}`);
  if (retry.jitter !== undefined) parts.push(`jitter ${retry.jitter}`);
  if (retry.maxInfrastructureFailures !== undefined) parts.push(`max infra failures ${retry.maxInfrastructureFailures}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function timeoutText(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  return ms === 0 ? 'none' : formatDurationMs(ms);
}

function optionalDuration(ms: number | undefined): string | undefined {
  return ms ? formatDurationMs(ms) : undefined;
}

function indentLines(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}\n`).join('');
}

/** Schedules for people: one aligned row each under a header. */
export function formatScheduleTable(schedules: readonly Schedule[]): string {
  const header = ['NAME', 'STATE', 'WHEN', 'TYPE', 'QUEUE', 'NEXT FIRE', 'SKIPPED'];
  const rows = schedules.map((schedule) => {
    const spec = schedule.spec;
    return [
      spec?.name ?? '',
      schedule.paused ? 'paused' : 'active',
      spec ? cadenceText(spec) : '-',
      spec?.task?.type ?? '',
      spec?.task ? spec.task.queue || 'default' : '',
      schedule.nextFireTimes[0]?.toISOString() ?? '-',
      String(schedule.skippedFires),
    ];
  });
  return formatColumns([header, ...rows]);
}
