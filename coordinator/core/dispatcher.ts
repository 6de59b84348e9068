import type { QueueFlow } from './queue-flow';
import type { ReadyIndex } from './ready-index';
import type { SessionRegistry, WorkerSession } from './sessions';
import type { TaskRecord } from './task';
import type { LeaseGrant } from './worker-channel';

export interface DispatchContext {
  readonly ready: ReadyIndex;
  readonly sessions: SessionRegistry;
  /**
   * Leases `task` to `session` (its attempt begins) and returns what the worker is sent, or
   * undefined when it could not (the session then takes no more in this pass).
   */
  readonly lease: (session: WorkerSession, task: TaskRecord) => LeaseGrant | undefined;
  /** Which queues may start a task now (pause, concurrency, rate) and in which order (weights). */
  readonly flow: Pick<QueueFlow, 'startable' | 'started' | 'mayStart'>;
  readonly nowMs: number;
}

/**
 * One dispatch pass: hands ready tasks to sessions with credit, one lease per session per
 * round so that work spreads evenly, until tasks or credit run out. Each lease comes from the
 * session's queue that queue flow puts first among those that may start a task. Only
 * sessions of queues with ready tasks that may start one take part, and a session drops out
 * once it has no credit or nothing it can run is left, so a pass costs O(leases granted +
 * sessions of those queues). Leases for the same session go out in one message.
 * @returns the number of leases granted.
 */
export function dispatch(context: DispatchContext): number {
  if (context.ready.size === 0) return 0;
  const grants = new Map<WorkerSession, LeaseGrant[]>();
  let granted = 0;
  let candidates = context.sessions.withCreditFor(openQueues(context));
  while (candidates.length > 0 && context.ready.size > 0) {
    const stillHungry: WorkerSession[] = [];
    for (const session of candidates) {
      const task = takeFor(session, context);
      if (!task) continue;
      const grant = context.lease(session, task);
      if (!grant) continue;
      session.credit -= 1;
      let batch = grants.get(session);
      if (!batch) {
        batch = [];
        grants.set(session, batch);
      }
      batch.push(grant);
      granted += 1;
      if (session.credit > 0) stillHungry.push(session);
    }
    candidates = stillHungry;
  }
  for (const [session, batch] of grants) session.channel.sendLeases(batch);
  return granted;
}

/** The next task for `session`: from the first of its queues with work that flow control lets start one. */
function takeFor(session: WorkerSession, context: DispatchContext): TaskRecord | undefined {
  const { ready, flow, nowMs } = context;
  const withWork = session.queues.length === 1 ? session.queues : session.queues.filter((queue) => ready.hasReady(queue));
  for (const queue of flow.startable(withWork, nowMs, session)) {
    const task = ready.take(queue, session.types);
    if (task) {
      flow.started(queue, nowMs, session);
      return task;
    }
  }
  return undefined;
}

/**
 * The queues with ready tasks that may start one now: the sessions of a paused, full or
 * rate-limited queue are not even looked at, however many wait on it.
 */
function* openQueues({ ready, flow, nowMs }: DispatchContext): Generator<string> {
  for (const queue of ready.nonEmptyQueues()) if (flow.mayStart(queue, nowMs)) yield queue;
}
