/**
 * Wire ScheduleSpecs for the schedule integration tests, and what the coordinator logs of
 * each fire (debug level: 'schedule fired', with `schedule`, `fire_time` in Unix ms and `task_id`).
 */
import { CatchUpPolicy, OverlapPolicy, type ScheduleSpec, type TaskTemplate } from '../../shared/gen/baton/v1/schedule';
import type { BatonProcess, LogLine } from './processes';

/** A template for a task of `type` with an empty JSON object as its payload, in the default queue. */
export function taskTemplate(type: string, overrides: Partial<TaskTemplate> = {}): TaskTemplate {
  return { queue: '', type, payload: Buffer.from('{}'), contentType: '', priority: 0, maxAttempts: 0, labels: {}, ...overrides };
}

/** Every `seconds` s, overlap allowed, every missed fire caught up, running a `noop`; `overrides` win. */
export function everySpec(name: string, seconds: number, overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name,
    cron: '',
    every: { seconds, nanos: 0 },
    timezone: '',
    task: taskTemplate('noop'),
    overlap: OverlapPolicy.OVERLAP_POLICY_ALLOW,
    catchUp: CatchUpPolicy.CATCH_UP_POLICY_ALL,
    catchUpLimit: 0,
    ...overrides,
  };
}

export interface LoggedFire {
  readonly fireMs: number;
  readonly taskId: string;
}

function isFireOf(line: LogLine, schedule: string): boolean {
  return line.msg === 'schedule fired' && line.schedule === schedule;
}

/** The fires of `schedule` that `proc` has logged so far, oldest first. */
export function loggedFires(proc: BatonProcess, schedule: string): LoggedFire[] {
  return proc.lines.filter((line) => isFireOf(line, schedule)).map((line) => ({ fireMs: line.fire_time as number, taskId: line.task_id as string }));
}

/** Waits until `proc` has logged a fire of `schedule` whose fire time is after `afterMs`. */
export async function fireAfter(proc: BatonProcess, schedule: string, afterMs: number, timeoutMs = 15_000): Promise<LoggedFire> {
  const line = await proc.waitForLog((l) => isFireOf(l, schedule) && (l.fire_time as number) > afterMs, `a fire of ${schedule} after ${new Date(afterMs).toISOString()}`, timeoutMs);
  return { fireMs: line.fire_time as number, taskId: line.task_id as string };
}

/** Waits until `proc` has logged `count` fires of `schedule`. */
export async function firesLogged(proc: BatonProcess, schedule: string, count: number, timeoutMs = 15_000): Promise<LoggedFire[]> {
  await proc.waitForLog((l) => isFireOf(l, schedule) && loggedFires(proc, schedule).length >= count, `${count} fires of ${schedule}`, timeoutMs);
  return loggedFires(proc, schedule);
}
