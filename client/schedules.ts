import { BatonError } from '../shared/errors';
import type { Schedule } from '../shared/gen/baton/v1/schedule';
import type { Task } from '../shared/gen/baton/v1/task';
import type { TaskQueueClient } from '../shared/gen/baton/v1/task_queue';
import type { RequestOptions } from './request-options';
import { toScheduleSpec, type ScheduleOptions } from './schedule-spec';
import type { UnaryCaller } from './unary-call';
import { UINT32, checkWireInteger } from './wire-integers';

/** The schedule RPCs of the generated client: all {@link ScheduleClient} needs of it. */
export type ScheduleRpcs = Pick<
  TaskQueueClient,
  | 'createSchedule'
  | 'updateSchedule'
  | 'deleteSchedule'
  | 'getSchedule'
  | 'listSchedules'
  | 'pauseSchedule'
  | 'resumeSchedule'
  | 'triggerSchedule'
>;

/** Paging of {@link ScheduleClient.list}. */
export interface ScheduleListOptions extends RequestOptions {
  /** At most 1000; unset means the coordinator's default of 100. */
  readonly pageSize?: number;
  /** From a previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** One page of {@link ScheduleClient.list}. */
export interface ScheduleListResult {
  /** By name, without `recentFires` (`get` returns those). */
  readonly schedules: Schedule[];
  /** Pass as `pageToken` for the next page; empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * Schedules: each fire submits one task from the schedule's template, never two for the same
 * fire time. Reached as `client.schedules`; every failure is a BatonError as for the client.
 *
 * @example
 * await client.schedules.create('nightly-report', {
 *   cron: '0 3 * * *',
 *   timezone: 'Europe/Berlin',
 *   task: { type: 'report', payload: { kind: 'daily' }, queue: 'reports', maxAttempts: 5 },
 * });
 */
export class ScheduleClient {
  constructor(
    private readonly grpc: ScheduleRpcs,
    private readonly unary: UnaryCaller,
  ) {}

  /**
   * Creates a schedule; it fires from its next fire time on.
   * @throws BatonError INVALID_ARGUMENT before any I/O for an option that cannot be encoded
   *   (see toScheduleSpec), or from the coordinator (a bad cron expression or zone, both or
   *   neither of `cron` and `every`, ...); ALREADY_EXISTS for a name in use.
   */
  async create(name: string, options: ScheduleOptions, request: RequestOptions = {}): Promise<Schedule> {
    const spec = toScheduleSpec(name, options);
    return scheduleOf(await this.unary(this.grpc.createSchedule.bind(this.grpc), { spec }, request.signal));
  }

  /**
   * Replaces the spec of schedule `name` with `options` (options left out take their
   * defaults, as in `create`); its history and paused flag stay. Fire times before the update
   * are not caught up under the new spec.
   * @throws BatonError NOT_FOUND for an unknown name; INVALID_ARGUMENT as for `create`.
   */
  async update(name: string, options: ScheduleOptions, request: RequestOptions = {}): Promise<Schedule> {
    const spec = toScheduleSpec(name, options);
    return scheduleOf(await this.unary(this.grpc.updateSchedule.bind(this.grpc), { spec }, request.signal));
  }

  /**
   * Deletes a schedule. The tasks it submitted stay, and keep its name.
   * @throws BatonError NOT_FOUND for an unknown name.
   */
  async delete(name: string, request: RequestOptions = {}): Promise<void> {
    await this.unary(this.grpc.deleteSchedule.bind(this.grpc), { name }, request.signal);
  }

  /**
   * The schedule with its next fire times and its most recent fires.
   * @throws BatonError NOT_FOUND for an unknown name.
   */
  async get(name: string, request: RequestOptions = {}): Promise<Schedule> {
    return scheduleOf(await this.unary(this.grpc.getSchedule.bind(this.grpc), { name }, request.signal));
  }

  /**
   * One page of schedules, by name.
   * @throws BatonError INVALID_ARGUMENT before any I/O for a page size that is no uint32.
   */
  async list(options: ScheduleListOptions = {}): Promise<ScheduleListResult> {
    const request = {
      pageSize: checkWireInteger(options.pageSize ?? 0, 'pageSize', UINT32),
      pageToken: options.pageToken ?? '',
    };
    const response = await this.unary(this.grpc.listSchedules.bind(this.grpc), request, options.signal);
    return { schedules: response.schedules, nextPageToken: response.nextPageToken };
  }

  /**
   * Stops a schedule firing; fire times while it is paused are dropped, not caught up.
   * @throws BatonError NOT_FOUND for an unknown name.
   */
  async pause(name: string, request: RequestOptions = {}): Promise<Schedule> {
    return scheduleOf(await this.unary(this.grpc.pauseSchedule.bind(this.grpc), { name }, request.signal));
  }

  /**
   * Lets a paused schedule fire again, from its next fire time.
   * @throws BatonError NOT_FOUND for an unknown name.
   */
  async resume(name: string, request: RequestOptions = {}): Promise<Schedule> {
    return scheduleOf(await this.unary(this.grpc.resumeSchedule.bind(this.grpc), { name }, request.signal));
  }

  /**
   * Fires the schedule now, paused or not, whatever its overlap policy.
   * @returns the task the fire submitted.
   * @throws BatonError NOT_FOUND for an unknown name.
   */
  async trigger(name: string, request: RequestOptions = {}): Promise<Task> {
    const response = await this.unary(this.grpc.triggerSchedule.bind(this.grpc), { name }, request.signal);
    if (!response.task) throw new BatonError('INTERNAL', 'the coordinator answered without a task');
    return response.task;
  }
}

function scheduleOf(response: { schedule?: Schedule | undefined }): Schedule {
  if (!response.schedule) throw new BatonError('INTERNAL', 'the coordinator answered without a schedule');
  return response.schedule;
}
