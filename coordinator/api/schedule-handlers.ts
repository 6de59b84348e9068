import { InvalidArgumentError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../shared/limits';
import type { TaskQueueServer } from '../../shared/gen/baton/v1/task_queue';
import type { Engine } from '../core/engine';
import type { ScheduleView } from '../schedules/schedule-runner';
import { requireQueue } from '../security/authenticator';
import type { Principal } from '../security/principal';
import type { CallGuard } from './call-guard';
import { toWireTask } from './convert';
import { checkName } from './names';
import { toWireSchedule } from './schedule-convert';
import { validateScheduleSpec } from './schedule-validation';
import type { SubmitPolicy } from './task-defaults';
import { unary } from './unary';

const CLIENT_ROLES = ['client'] as const;

export interface ScheduleHandlerDeps {
  readonly engine: Engine;
  readonly policy: SubmitPolicy;
  readonly clock: Clock;
  readonly guard: CallGuard;
}

type ScheduleMethods = Pick<
  TaskQueueServer,
  'createSchedule' | 'updateSchedule' | 'deleteSchedule' | 'getSchedule' | 'listSchedules' | 'pauseSchedule' | 'resumeSchedule' | 'triggerSchedule'
>;

/**
 * The schedule RPCs. A schedule is a recurring submission, so it needs what submitting needs:
 * the client role and access to the queue of its task template, to create it and to see or
 * change it after.
 */
export function scheduleHandlers(deps: ScheduleHandlerDeps): ScheduleMethods {
  const { engine, policy, clock, guard } = deps;
  const runner = engine.schedules;
  /** The schedule's view, once the caller is allowed its queue. */
  const scheduleFor = async (caller: Principal, name: string, what: string): Promise<ScheduleView> => {
    checkName(name, 'name');
    const view = await runner.get(name);
    requireQueue(caller, view.record.spec.template.queue, what);
    return view;
  };
  return {
    createSchedule: unary(guard, 'CreateSchedule', CLIENT_ROLES, async (request, caller) => {
      const spec = validateScheduleSpec(request.spec, policy, clock.now());
      requireQueue(caller, spec.template.queue, 'CreateSchedule');
      return { schedule: toWireSchedule(await runner.create(spec)) };
    }),
    updateSchedule: unary(guard, 'UpdateSchedule', CLIENT_ROLES, async (request, caller) => {
      const spec = validateScheduleSpec(request.spec, policy, clock.now());
      await scheduleFor(caller, spec.name, 'UpdateSchedule');
      requireQueue(caller, spec.template.queue, 'UpdateSchedule');
      return { schedule: toWireSchedule(await runner.update(spec)) };
    }),
    deleteSchedule: unary(guard, 'DeleteSchedule', CLIENT_ROLES, async (request, caller) => {
      await scheduleFor(caller, request.name, 'DeleteSchedule');
      await runner.delete(request.name);
      return {};
    }),
    getSchedule: unary(guard, 'GetSchedule', CLIENT_ROLES, async (request, caller) => ({
      schedule: toWireSchedule(await scheduleFor(caller, request.name, 'GetSchedule')),
    })),
    listSchedules: unary(guard, 'ListSchedules', CLIENT_ROLES, (request, caller) => {
      if (request.pageSize > MAX_PAGE_SIZE) throw new InvalidArgumentError(`page_size: over the limit of ${MAX_PAGE_SIZE}`);
      const afterName = decodeNameToken(request.pageToken);
      const page = runner.list(request.pageSize || DEFAULT_PAGE_SIZE, afterName, (record) => caller.queues === null || caller.queues.has(record.spec.template.queue));
      return Promise.resolve({
        schedules: page.schedules.map(toWireSchedule),
        nextPageToken: page.nextAfter === undefined ? '' : Buffer.from(page.nextAfter, 'utf8').toString('base64url'),
      });
    }),
    pauseSchedule: unary(guard, 'PauseSchedule', CLIENT_ROLES, async (request, caller) => {
      await scheduleFor(caller, request.name, 'PauseSchedule');
      return { schedule: toWireSchedule(await runner.pause(request.name)) };
    }),
    resumeSchedule: unary(guard, 'ResumeSchedule', CLIENT_ROLES, async (request, caller) => {
      await scheduleFor(caller, request.name, 'ResumeSchedule');
      return { schedule: toWireSchedule(await runner.resume(request.name)) };
    }),
    triggerSchedule: unary(guard, 'TriggerSchedule', CLIENT_ROLES, async (request, caller) => {
      await scheduleFor(caller, request.name, 'TriggerSchedule');
      return { task: toWireTask(await runner.trigger(request.name)) };
    }),
  };
}

function decodeNameToken(token: string): string | undefined {
  if (token === '') return undefined;
  const name = Buffer.from(token, 'base64url').toString('utf8');
  try {
    checkName(name, 'page_token');
  } catch {
    throw new InvalidArgumentError('page_token: not a token from a previous ListSchedules response');
  }
  return name;
}
