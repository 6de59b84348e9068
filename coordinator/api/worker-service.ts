import { InvalidArgumentError, ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { WorkerServiceServer } from '../../shared/gen/baton/v1/worker_service';
import { ANONYMOUS } from '../security/principal';
import type { CallGuard } from './call-guard';
import { checkName } from './names';
import { endStreamWithError, logError, unary } from './unary';
import { WorkerStream, type WorkerStreamOptions } from './worker-stream';

const WORKER_ROLES = ['worker'] as const;

export interface WorkerServiceDeps extends WorkerStreamOptions {
  readonly guard: CallGuard;
  /** Connect streams that have not sent Hello yet, at most; and at most, of one credential. */
  readonly maxAwaitingHello: number;
  readonly maxAwaitingHelloPerCredential: number;
  readonly logger: Logger;
}

/** The WorkerService implementation, plus what metrics read from it. */
export interface WorkerServiceHandle {
  readonly service: WorkerServiceServer;
  /** Connect streams open that have not sent Hello yet. */
  awaitingHello(): number;
  /** Ends the streams that have not sent Hello (shutdown; the gateway ends the others). */
  close(message: string): void;
}

/**
 * The WorkerService gRPC service: one Connect stream per worker process. Both methods need
 * the worker role (or admin).
 */
export function createWorkerService(deps: WorkerServiceDeps): WorkerServiceHandle {
  const log = deps.logger.child({ component: 'worker-api' });
  const awaitingHello = new Set<WorkerStream>();
  const awaitingByCredential = new Map<string, number>();
  const count = (principal: string, delta: number): void => {
    const n = (awaitingByCredential.get(principal) ?? 0) + delta;
    if (n > 0) awaitingByCredential.set(principal, n);
    else awaitingByCredential.delete(principal);
  };
  let closed = false;
  const service: WorkerServiceServer = {
    connect: (call) => {
      try {
        if (closed) throw new UnavailableError('the coordinator is shutting down');
        const { caller } = deps.guard.admit(call, undefined, 'Connect', WORKER_ROLES);
        if (awaitingHello.size >= deps.maxAwaitingHello) {
          throw new ResourceExhaustedError(`${awaitingHello.size} Connect streams have not sent hello yet, the limit (maxWorkers) is ${deps.maxAwaitingHello}`);
        }
        const mine = awaitingByCredential.get(caller.id) ?? 0;
        if (caller.id !== ANONYMOUS.id && mine >= deps.maxAwaitingHelloPerCredential) {
          throw new ResourceExhaustedError(
            `${mine} Connect streams of this credential have not sent hello yet, the limit (maxWorkersPerCredential) is ${deps.maxAwaitingHelloPerCredential}`,
          );
        }
        const stream: WorkerStream = new WorkerStream(call, caller, deps, log, () => {
          awaitingHello.delete(stream);
          count(caller.id, -1);
        });
        awaitingHello.add(stream);
        count(caller.id, 1);
        stream.start();
      } catch (err: unknown) {
        logError(log, 'Connect', err);
        deps.guard.failed(call, 'Connect', err);
        endStreamWithError(call, err);
      }
    },
    keepAlive: unary(deps.guard, 'KeepAlive', WORKER_ROLES, (request, caller) => {
      checkName(request.workerId, 'worker_id');
      if (request.sessionId === '' || request.sessionId.length > 64) throw new InvalidArgumentError('session_id: expected the session id of a Welcome');
      return Promise.resolve({ sessionAlive: deps.gateway.keepAlive(caller.id, request.workerId, request.sessionId) });
    }),
  };
  return {
    service,
    awaitingHello: () => awaitingHello.size,
    close: (message) => {
      closed = true;
      for (const stream of [...awaitingHello]) stream.close('UNAVAILABLE', message);
    },
  };
}
