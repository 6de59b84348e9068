import { msToDuration } from '../../shared/proto-time';
import type { Schedule, ScheduleSpec as WireScheduleSpec } from '../../shared/gen/baton/v1/schedule';
import { TaskState as WireState } from '../../shared/gen/baton/v1/task';
import type { ScheduleView } from '../schedules/schedule-runner';
import type { ScheduleSpec } from '../schedules/schedule';
import { toWireState } from './convert';
import { CATCH_UP_BY_WIRE, OVERLAP_BY_WIRE } from './schedule-validation';

/** The wire form of a schedule as the runner shows it; listings leave the template's payload out. */
export function toWireSchedule(view: ScheduleView, { withPayload = true }: { withPayload?: boolean } = {}): Schedule {
  const { record } = view;
  return {
    spec: toWireScheduleSpec(record.spec, withPayload),
    paused: record.paused,
    nextFireTimes: view.nextFireMs.map((ms) => new Date(ms)),
    recentFires: view.recentFires.map((fire) => ({ fireTime: new Date(fire.fireMs), taskId: fire.taskId, taskState: toWireState(fire.state) ?? WireState.TASK_STATE_UNSPECIFIED })),
    lastFireTime: new Date(record.lastFireMs),
    createdAt: new Date(record.createdAtMs),
    updatedAt: new Date(record.updatedAtMs),
    skippedFires: record.skippedFires,
  };
}

const NO_BYTES = Buffer.alloc(0);

function toWireScheduleSpec(spec: ScheduleSpec, withPayload: boolean): WireScheduleSpec {
  const { template } = spec;
  return {
    name: spec.name,
    cron: spec.cadence.kind === 'cron' ? spec.cadence.expression : '',
    every: spec.cadence.kind === 'every' ? msToDuration(spec.cadence.intervalMs) : undefined,
    timezone: spec.timezone,
    task: {
      queue: template.queue,
      type: template.type,
      payload: withPayload ? template.payload : NO_BYTES,
      contentType: template.contentType,
      priority: template.priority,
      maxAttempts: template.maxAttempts,
      retry: {
        initialBackoff: msToDuration(template.retry.initialMs),
        multiplier: template.retry.multiplier,
        maxBackoff: msToDuration(template.retry.maxMs),
        jitter: template.retry.jitter,
        maxInfrastructureFailures: template.maxInfraFailures ?? undefined,
      },
      timeout: template.timeoutMs > 0 ? msToDuration(template.timeoutMs) : undefined,
      labels: { ...template.labels },
    },
    overlap: wireKeyOf(OVERLAP_BY_WIRE, spec.overlap),
    catchUp: wireKeyOf(CATCH_UP_BY_WIRE, spec.catchUp),
    catchUpLimit: spec.catchUpLimit,
    startTime: spec.startAtMs === null ? undefined : new Date(spec.startAtMs),
    endTime: spec.endAtMs === null ? undefined : new Date(spec.endAtMs),
    jitter: spec.jitterMs > 0 ? msToDuration(spec.jitterMs) : undefined,
  };
}

/** The first wire value (other than UNSPECIFIED, which is listed first) that maps to `value`. */
function wireKeyOf<W extends number, V>(map: ReadonlyMap<W, V>, value: V): W {
  let found: W | undefined;
  for (const [wire, mapped] of map) if (mapped === value && wire !== 0) found ??= wire;
  return found ?? (0 as W);
}
