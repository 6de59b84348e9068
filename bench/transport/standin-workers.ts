/**
 * The stand-in's worker side: sessions, credit, leases and results, dispatched the way the
 * real coordinator does it (coordinator/core/dispatcher.ts, worker-gateway.ts): one pass per
 * microtask, one lease per session per round while sessions have credit, all of a session's
 * leases of a pass in one message, and one ResultAcks message per Results message.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Task } from '../../shared/gen/baton/v1/task';
import type { Lease as WireLease, ResultAck, TaskResult } from '../../shared/gen/baton/v1/worker_service';
import type { TaskBook } from './standin-tasks';

/** What the hub needs of a worker's stream (standin-worker-stream.ts). */
export interface SessionChannel {
  /** False while the stream's send buffer is full: no leases go to it until it drains. */
  readonly writable: boolean;
  sendLeases(leases: readonly WireLease[]): void;
  sendUnknownLeases(leaseIds: readonly string[]): void;
  /** Ends the stream with UNAVAILABLE. */
  close(message: string): void;
}

export interface SessionHello {
  readonly workerId: string;
  readonly queues: readonly string[];
  readonly types: readonly string[];
  readonly concurrency: number;
  readonly heldLeaseIds: readonly string[];
}

interface Session {
  readonly id: string;
  readonly workerId: string;
  readonly queues: readonly string[];
  readonly types: ReadonlySet<string>;
  readonly concurrency: number;
  credit: number;
  draining: boolean;
  /** Lease entries sent on this stream; a heartbeat says how many of them arrived. */
  leasesGranted: number;
  /** Leases granted and not yet reported, by id. */
  readonly held: Map<string, HeldLease>;
  readonly channel: SessionChannel;
}

interface HeldLease {
  readonly taskId: string;
  readonly ordinal: number;
}

/** Sessions, leases and results; the TaskBook holds the tasks. */
export class WorkerHub {
  private readonly sessions = new Map<string, Session>();
  private rotation = 0;
  private dispatchRequested = false;
  private closed = false;

  constructor(
    private readonly book: TaskBook,
    private readonly now: () => number,
  ) {}

  /**
   * Registers a worker after its Hello. The stand-in reclaims nothing: leases from an earlier
   * stream went back to the queue when it ended, so every held lease is unknown here; the
   * caller sends Welcome, then cancels those.
   */
  open(hello: SessionHello, channel: SessionChannel): { sessionId: string; resumeSecret: string; unknownLeaseIds: readonly string[] } {
    const session: Session = {
      id: randomUUID(),
      workerId: hello.workerId,
      queues: hello.queues,
      types: new Set(hello.types),
      concurrency: hello.concurrency,
      credit: Math.max(0, hello.concurrency - hello.heldLeaseIds.length),
      draining: false,
      leasesGranted: 0,
      held: new Map(),
      channel,
    };
    this.sessions.set(session.id, session);
    this.requestDispatch(); // on a microtask: after the caller has sent Welcome
    return { sessionId: session.id, resumeSecret: randomBytes(24).toString('base64url'), unknownLeaseIds: hello.heldLeaseIds };
  }

  /** Credit as the real gateway counts it: never beyond concurrency minus the leases held. */
  credit(sessionId: string, slots: number): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.draining) return;
    session.credit = Math.min(session.credit + slots, Math.max(0, session.concurrency - session.held.size));
    this.requestDispatch();
  }

  drain(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.draining = true;
    session.credit = 0;
  }

  /**
   * Reconciles as the real gateway does: leases the worker lists but does not hold here are
   * canceled on it; leases it received but no longer lists go back to the queue.
   */
  heartbeat(sessionId: string, leaseIds: readonly string[], leasesReceived: number): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    const listed = new Set(leaseIds);
    const unknown = [...listed].filter((leaseId) => !session.held.has(leaseId));
    if (unknown.length > 0) session.channel.sendUnknownLeases(unknown);
    for (const [leaseId, lease] of session.held) {
      if (lease.ordinal <= leasesReceived && !listed.has(leaseId)) this.lose(session, leaseId, 'the worker no longer holds the lease (heartbeat)');
    }
  }

  /** Applies results: a result counts only for a lease this session holds. One ack per result, in order. */
  report(sessionId: string, results: readonly TaskResult[]): ResultAck[] {
    const session = this.sessions.get(sessionId);
    const nowMs = this.now();
    return results.map((result) => {
      const lease = session?.held.get(result.leaseId);
      if (!session || !lease) {
        return { leaseId: result.leaseId, code: GrpcStatus.FAILED_PRECONDITION, message: `lease ${result.leaseId} is not current` };
      }
      session.held.delete(result.leaseId);
      const outcome = result.outcome;
      if (outcome?.$case === 'success') {
        this.book.ended(lease.taskId, { kind: 'success', result: Buffer.from(outcome.value.result), contentType: outcome.value.contentType || 'application/json' }, nowMs);
      } else {
        this.book.ended(lease.taskId, { kind: 'failure', message: outcome?.value.message || 'handler failed' }, nowMs);
      }
      return { leaseId: result.leaseId, code: GrpcStatus.OK, message: '' };
    });
  }

  /** The stream ended: its leases go back to the queue at once (the stand-in keeps no lease window). */
  disconnect(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    for (const leaseId of [...session.held.keys()]) this.lose(session, leaseId, `worker ${session.workerId} disconnected`);
    this.requestDispatch();
  }

  keepAlive(workerId: string, sessionId: string): boolean {
    return this.sessions.get(sessionId)?.workerId === workerId;
  }

  /** Leases queued tasks to sessions with credit, soon (one pass per microtask). */
  requestDispatch(): void {
    if (this.dispatchRequested || this.closed) return;
    this.dispatchRequested = true;
    queueMicrotask(() => {
      this.dispatchRequested = false;
      if (!this.closed) this.dispatch();
    });
  }

  /** Ends every worker stream (shutdown). */
  close(message: string): void {
    this.closed = true;
    for (const session of [...this.sessions.values()]) {
      this.sessions.delete(session.id);
      session.channel.close(message);
    }
  }

  /** One pass, as core/dispatcher.ts: round-robin, one lease per session per round, one message per session. */
  private dispatch(): void {
    if (this.book.readySize === 0) return;
    const grants = new Map<Session, WireLease[]>();
    const nowMs = this.now();
    let candidates = this.hungrySessions();
    while (candidates.length > 0 && this.book.readySize > 0) {
      const stillHungry: Session[] = [];
      for (const session of candidates) {
        const task = this.book.take(session.queues, session.types);
        if (!task) continue;
        let batch = grants.get(session);
        if (!batch) {
          batch = [];
          grants.set(session, batch);
        }
        batch.push(this.grant(session, task, nowMs));
        session.credit -= 1;
        if (session.credit > 0) stillHungry.push(session);
      }
      candidates = stillHungry;
    }
    for (const [session, batch] of grants) session.channel.sendLeases(batch);
  }

  private hungrySessions(): Session[] {
    const ready = [...this.sessions.values()].filter((s) => s.credit > 0 && !s.draining && s.channel.writable);
    if (ready.length < 2) return ready;
    const start = this.rotation++ % ready.length;
    return [...ready.slice(start), ...ready.slice(0, start)];
  }

  private grant(session: Session, task: Task, nowMs: number): WireLease {
    const leaseId = randomUUID();
    session.leasesGranted += 1;
    session.held.set(leaseId, { taskId: task.id, ordinal: session.leasesGranted });
    const running = this.book.started(task, leaseId, session.workerId, nowMs);
    const timeoutMs = running.timeout ? running.timeout.seconds * 1000 + Math.trunc(running.timeout.nanos / 1e6) : 0;
    // The real coordinator's lease (api/worker-messages.ts toWireLease).
    return {
      leaseId,
      taskId: running.id,
      queue: running.queue,
      type: running.type,
      payload: running.payload,
      contentType: running.contentType,
      attempt: running.attempt,
      maxAttempts: running.maxAttempts,
      timeout: running.timeout,
      deadline: timeoutMs > 0 ? new Date(nowMs + timeoutMs) : undefined,
      labels: { ...running.labels },
      traceContext: { ...running.traceContext },
    };
  }

  private lose(session: Session, leaseId: string, message: string): void {
    const lease = session.held.get(leaseId);
    if (!lease) return;
    session.held.delete(leaseId);
    this.book.ended(lease.taskId, { kind: 'lost', message }, this.now());
    this.requestDispatch();
  }
}
