import { InvalidArgumentError } from '../shared/errors';
import { CatchUpPolicy, OverlapPolicy, type ScheduleSpec } from '../shared/gen/baton/v1/schedule';
import { parseCatchUpPolicy, parseOverlapPolicy, type CatchUpPolicyName, type OverlapPolicyName } from './schedule-policies';
import { checkDate, optionalDuration } from './submit-request';
import { toTaskTemplate, type TaskTemplateInput } from './task-template';
import { UINT32, checkWireInteger } from './wire-integers';

/** A schedule that fires on a cron expression. */
export interface CronCadence {
  /**
   * 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), read in
   * `timezone`, e.g. `'0 3 * * *'` for 03:00 every day.
   */
  readonly cron: string;
  readonly every?: undefined;
}

/** A schedule that fires at a fixed interval, counted from `startTime` (or its creation). */
export interface EveryCadence {
  /** The interval (`'15m'` or milliseconds); the coordinator accepts one second or more. */
  readonly every: string | number;
  readonly cron?: undefined;
}

/**
 * Everything about a schedule but its name: when it fires (exactly one of `cron` and
 * `every`), what each fire submits, and how it deals with overlaps and downtime. Durations
 * are `'5s'`-style strings or milliseconds. Unset fields take schedule.proto's defaults.
 */
export type ScheduleOptions = (CronCadence | EveryCadence) & {
  /** An IANA zone such as `'Europe/Berlin'` for cron times. Default UTC. */
  readonly timezone?: string;
  /** What each fire submits: `{ type, payload, queue, maxAttempts, ... }` as for `submit`. */
  readonly task: TaskTemplateInput;
  /** While the previous fire's task is unfinished: `'allow'`, `'skip'` (default) or `'buffer-one'`. */
  readonly overlap?: OverlapPolicyName | OverlapPolicy;
  /** Fire times missed while the coordinator was down: `'skip'`, `'one'` (default) or `'all'`. */
  readonly catchUp?: CatchUpPolicyName | CatchUpPolicy;
  /** With catch-up `'all'`, at most this many missed fires. Default 100. */
  readonly catchUpLimit?: number;
  /** No fire before this time. */
  readonly startTime?: Date;
  /** No fire after this time. */
  readonly endTime?: Date;
  /** Each fire's task runs up to this long after the fire time, at random. Default none. */
  readonly jitter?: string | number;
};

/**
 * Builds the wire spec of a schedule. Like `submit`, it refuses only what cannot be encoded
 * (a duration that does not parse, an unknown policy name, a number outside its wire type, an
 * invalid Date, a task option no template has); the coordinator owns every other rule, such as
 * "exactly one of cron and every", the cron syntax or the zone, and names the field it refuses.
 * Pure: no I/O, no clock.
 * @throws InvalidArgumentError naming the option (`every`, `overlap`, `task.priority`, ...).
 */
export function toScheduleSpec(name: string, options: ScheduleOptions): ScheduleSpec {
  return {
    name,
    cron: options.cron ?? '',
    every: optionalDuration(options.every, 'every'),
    timezone: options.timezone ?? '',
    task: toTaskTemplate(options.task),
    overlap: toOverlapPolicy(options.overlap),
    catchUp: toCatchUpPolicy(options.catchUp),
    catchUpLimit: checkWireInteger(options.catchUpLimit ?? 0, 'catchUpLimit', UINT32),
    startTime: checkDate(options.startTime, 'startTime'),
    endTime: checkDate(options.endTime, 'endTime'),
    jitter: optionalDuration(options.jitter, 'jitter'),
  };
}

function toOverlapPolicy(policy: OverlapPolicyName | OverlapPolicy | undefined): OverlapPolicy {
  if (policy === undefined) return OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED;
  return typeof policy === 'number' ? checkEnumValue(policy, OverlapPolicy, 'overlap') : parseOverlapPolicy(policy);
}

function toCatchUpPolicy(policy: CatchUpPolicyName | CatchUpPolicy | undefined): CatchUpPolicy {
  if (policy === undefined) return CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED;
  return typeof policy === 'number' ? checkEnumValue(policy, CatchUpPolicy, 'catchUp') : parseCatchUpPolicy(policy);
}

/** A value of a numeric enum this client knows; protobuf would send any other int32 as is. */
function checkEnumValue<T extends number>(value: T, enumObject: Readonly<Record<string, string | number>>, what: string): T {
  if (typeof enumObject[value] !== 'string') throw new InvalidArgumentError(`${what}: unknown policy ${value}`);
  return value;
}
