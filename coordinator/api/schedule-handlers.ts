import { InvalidArgumentError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../shared/limits';
import type { TaskQueueServer } from '../../shared/gen/baton/v1/task_queue';
import type { Engine } from '../core/engine';
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
/** Schedules submit on their own, forever, and are held in memory: creating and changing them is an operator's (design.md). */
const ADMIN_ROLES = ['admin'] as const;

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
 * The schedule RPCs. Creating, changing and triggering a schedule needs the admin role;
 * reading one, the client role and access to the queue of its task template.
 */
export function scheduleHandlers(deps: ScheduleHandlerDeps): ScheduleMethods {
  const { engine, policy, clock, guard } = deps;
  const runner = engine.schedules;
  /** Checks the name, and that the caller may see the schedule's queue (before anything is read from the store). */
  const allowed = (caller: Principal, name: string, what: string): void => {
    checkName(name, 'name');
    requireQueue(caller, runner.peek(name).spec.template.queue, what);
  };
  return {
    createSchedule: unary(guard, 'CreateSchedule', ADMIN_ROLES, async (request, caller) => {
      const spec = validateScheduleSpec(request.spec, policy, clock.now());
      requireQueue(caller, spec.template.queue, 'CreateSchedule');
      return { schedule: toWireSchedule(await runner.create(spec)) };
    }),
    updateSchedule: unary(guard, 'UpdateSchedule', ADMIN_ROLES, async (request, caller) => {
      const spec = validateScheduleSpec(request.spec, policy, clock.now());
      allowed(caller, spec.name, 'UpdateSchedule');
      requireQueue(caller, spec.template.queue, 'UpdateSchedule');
      return { schedule: toWireSchedule(await runner.update(spec)) };
    }),
    deleteSchedule: unary(guard, 'DeleteSchedule', ADMIN_ROLES, async (request, caller) => {
      allowed(caller, request.name, 'DeleteSchedule');
      await runner.delete(request.name);
      return {};
    }),
    getSchedule: unary(guard, 'GetSchedule', CLIENT_ROLES, async (request, caller) => {
      allowed(caller, request.name, 'GetSchedule');
      return { schedule: toWireSchedule(await runner.get(request.name)) };
    }),
    listSchedules: unary(guard, 'ListSchedules', CLIENT_ROLES, (request, caller) => {
      if (request.pageSize > MAX_PAGE_SIZE) throw new InvalidArgumentError(`page_size: over the limit of ${MAX_PAGE_SIZE}`);
      const afterName = decodeNameToken(request.pageToken);
      const page = runner.list(request.pageSize || DEFAULT_PAGE_SIZE, afterName, (record) => caller.queues === null || caller.queues.has(record.spec.template.queue));
      return Promise.resolve({
        schedules: page.schedules.map((view) => toWireSchedule(view, { withPayload: false })),
        nextPageToken: page.nextAfter === undefined ? '' : Buffer.from(page.nextAfter, 'utf8').toString('base64url'),
      });
    }),
    pauseSchedule: unary(guard, 'PauseSchedule', ADMIN_ROLES, async (request, caller) => {
      allowed(caller, request.name, 'PauseSchedule');
      return { schedule: toWireSchedule(await runner.pause(request.name)) };
    }),
    resumeSchedule: unary(guard, 'ResumeSchedule', ADMIN_ROLES, async (request, caller) => {
      allowed(caller, request.name, 'ResumeSchedule');
      return { schedule: toWireSchedule(await runner.resume(request.name)) };
    }),
    triggerSchedule: unary(guard, 'TriggerSchedule', ADMIN_ROLES, async (request, caller) => {
      allowed(caller, request.name, 'TriggerSchedule');
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
