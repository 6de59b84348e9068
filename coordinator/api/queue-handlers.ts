import { PermissionDeniedError } from '../../shared/errors';
import type { TaskQueueServer } from '../../shared/gen/baton/v1/task_queue';
import type { Engine } from '../core/engine';
import { requireQueue } from '../security/authenticator';
import type { CallGuard } from './call-guard';
import { checkName } from './names';
import { toWireQueue, validateQueueUpdate } from './queue-convert';
import { unary } from './unary';

const CLIENT_ROLES = ['client'] as const;
/** Queue settings bind every producer and worker of the queue: changing them is the operator's. */
const ADMIN_ROLES = ['admin'] as const;

type QueueMethods = Pick<TaskQueueServer, 'updateQueue' | 'getQueue' | 'listQueues' | 'pauseQueue' | 'resumeQueue'>;

/** The queue RPCs: reading needs the client role and the queue; changing, the admin role. */
export function queueHandlers(engine: Engine, guard: CallGuard): QueueMethods {
  const queues = engine.queues;
  return {
    updateQueue: unary(guard, 'UpdateQueue', ADMIN_ROLES, async (request) => {
      checkName(request.name, 'name');
      return { queue: toWireQueue(await queues.update(request.name, validateQueueUpdate(request))) };
    }),
    pauseQueue: unary(guard, 'PauseQueue', ADMIN_ROLES, async (request) => {
      checkName(request.name, 'name');
      return { queue: toWireQueue(await queues.update(request.name, { paused: true })) };
    }),
    resumeQueue: unary(guard, 'ResumeQueue', ADMIN_ROLES, async (request) => {
      checkName(request.name, 'name');
      return { queue: toWireQueue(await queues.update(request.name, { paused: false })) };
    }),
    getQueue: unary(guard, 'GetQueue', CLIENT_ROLES, (request, caller) => {
      checkName(request.name, 'name');
      requireQueue(caller, request.name, 'GetQueue');
      return Promise.resolve({ queue: toWireQueue(queues.view(request.name)) });
    }),
    listQueues: unary(guard, 'ListQueues', CLIENT_ROLES, (_request, caller) => {
      const visible = queues.list().filter((view) => caller.queues === null || caller.queues.has(view.name));
      if (visible.length === 0 && caller.queues !== null && caller.queues.size === 0) {
        throw new PermissionDeniedError('ListQueues: this credential is limited to no queue');
      }
      return Promise.resolve({ queues: visible.map(toWireQueue) });
    }),
  };
}
