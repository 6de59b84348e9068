import { InvalidArgumentError } from '../../shared/errors';
import { durationToMs } from '../../shared/proto-time';
import { CatchUpPolicy as WireCatchUp, OverlapPolicy as WireOverlap, type ScheduleSpec as WireScheduleSpec } from '../../shared/gen/baton/v1/schedule';
import { cadenceMinGapMs, checkCronExpression, checkInterval, checkJitter, checkTimezone } from '../schedules/schedule-checks';
import {
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_LIMIT,
  DEFAULT_OVERLAP,
  MAX_CATCH_UP_LIMIT,
  type Cadence,
  type CatchUpPolicy,
  type OverlapPolicy,
  type ScheduleSpec,
  type TaskTemplate,
} from '../schedules/schedule';
import { checkName } from './names';
import { validateSubmission } from './submit-validation';
import type { SubmitPolicy } from './task-defaults';

export const OVERLAP_BY_WIRE: ReadonlyMap<WireOverlap, OverlapPolicy> = new Map([
  [WireOverlap.OVERLAP_POLICY_UNSPECIFIED, DEFAULT_OVERLAP],
  [WireOverlap.OVERLAP_POLICY_ALLOW, 'allow'],
  [WireOverlap.OVERLAP_POLICY_SKIP, 'skip'],
  [WireOverlap.OVERLAP_POLICY_BUFFER_ONE, 'buffer_one'],
]);

export const CATCH_UP_BY_WIRE: ReadonlyMap<WireCatchUp, CatchUpPolicy> = new Map([
  [WireCatchUp.CATCH_UP_POLICY_UNSPECIFIED, DEFAULT_CATCH_UP],
  [WireCatchUp.CATCH_UP_POLICY_SKIP, 'skip'],
  [WireCatchUp.CATCH_UP_POLICY_ONE, 'one'],
  [WireCatchUp.CATCH_UP_POLICY_ALL, 'all'],
]);

/**
 * Turns a wire ScheduleSpec into the core's, or throws InvalidArgumentError naming the field
 * (`spec.cron`, `spec.task.queue`...). The task template is checked, and takes its queue's
 * defaults, exactly as a submission would.
 */
export function validateScheduleSpec(wire: WireScheduleSpec | undefined, policy: SubmitPolicy, nowMs: number): ScheduleSpec {
  if (!wire) throw new InvalidArgumentError('spec: must be set');
  checkName(wire.name, 'spec.name');
  const cadence = cadenceOf(wire);
  const timezone = checkTimezone(wire.timezone === '' ? 'UTC' : wire.timezone, 'spec.timezone');
  const overlap = OVERLAP_BY_WIRE.get(wire.overlap);
  if (overlap === undefined) throw new InvalidArgumentError(`spec.overlap: ${wire.overlap} is not an overlap policy`);
  const catchUp = CATCH_UP_BY_WIRE.get(wire.catchUp);
  if (catchUp === undefined) throw new InvalidArgumentError(`spec.catch_up: ${wire.catchUp} is not a catch-up policy`);
  if (wire.catchUpLimit > MAX_CATCH_UP_LIMIT) {
    throw new InvalidArgumentError(`spec.catch_up_limit: ${wire.catchUpLimit} is over the limit of ${MAX_CATCH_UP_LIMIT}`);
  }
  const startAtMs = timestampMs(wire.startTime, 'spec.start_time');
  const endAtMs = timestampMs(wire.endTime, 'spec.end_time');
  if (startAtMs !== null && endAtMs !== null && endAtMs <= startAtMs) {
    throw new InvalidArgumentError('spec.end_time: must be after spec.start_time');
  }
  const jitterMs = durationToMs(wire.jitter) ?? 0;
  if (!Number.isFinite(jitterMs) || jitterMs < 0) throw new InvalidArgumentError('spec.jitter: must not be negative');
  if (jitterMs > 0) checkJitter(jitterMs, cadenceMinGapMs(cadence), 'spec.jitter');
  return {
    name: wire.name,
    cadence,
    timezone,
    template: templateOf(wire, policy, nowMs),
    overlap,
    catchUp,
    catchUpLimit: wire.catchUpLimit === 0 ? DEFAULT_CATCH_UP_LIMIT : wire.catchUpLimit,
    startAtMs,
    endAtMs,
    jitterMs,
  };
}

function cadenceOf(wire: WireScheduleSpec): Cadence {
  if (wire.cron !== '' && wire.every !== undefined) throw new InvalidArgumentError('spec.cron, spec.every: set exactly one of them, not both');
  if (wire.cron !== '') {
    checkCronExpression(wire.cron, 'spec.cron');
    return { kind: 'cron', expression: wire.cron };
  }
  if (wire.every === undefined) throw new InvalidArgumentError('spec.cron, spec.every: set exactly one of them (a cron expression or an interval)');
  const intervalMs = durationToMs(wire.every) ?? 0;
  checkInterval(intervalMs, 'spec.every');
  return { kind: 'every', intervalMs };
}

function templateOf(wire: WireScheduleSpec, policy: SubmitPolicy, nowMs: number): TaskTemplate {
  const task = wire.task;
  if (!task) throw new InvalidArgumentError('spec.task: must be set (the task each fire submits)');
  const spec = validateSubmission({ ...task, delay: undefined, runAt: undefined, idempotencyKey: '', traceContext: {}, fairnessKey: '' }, policy, nowMs, 'spec.task.');
  return {
    queue: spec.queue,
    type: spec.type,
    payload: Buffer.from(spec.payload), // kept for as long as the schedule: not a view of the request
    contentType: spec.contentType,
    priority: spec.priority,
    maxAttempts: spec.maxAttempts,
    retry: spec.retry,
    maxInfraFailures: spec.maxInfraFailures,
    timeoutMs: spec.timeoutMs,
    labels: spec.labels,
  };
}

function timestampMs(date: Date | undefined, field: string): number | null {
  if (date === undefined) return null;
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`${field}: not a valid timestamp`);
  return ms;
}
