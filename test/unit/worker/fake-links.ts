import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  CancelReason,
  Lease,
  Welcome,
  type ConnectRequest,
  type ProgressReport,
  type TaskResult,
} from '../../../shared/gen/baton/v1/worker_service';
import { msToDuration } from '../../../shared/proto-time';
import type { HelloMessage, LinkError, LinkFactory, LinkHandlers, WorkerLink } from '../../../worker/worker-link';

/** One message the worker sent, as the coordinator would decode it. */
export type Sent = NonNullable<ConnectRequest['message']>;
type SentValue<K extends Sent['$case']> = Extract<Sent, { $case: K }>['value'];

/**
 * One stream as a fake coordinator sees it: records what the worker sends, in order, and lets
 * the test answer through the worker's own callbacks. Like the real coordinator, it ends the
 * stream once the worker half-closes, and a cancel ends it with CANCELLED; both a turn later.
 */
export class FakeLink implements WorkerLink {
  readonly sent: Sent[] = [];
  halfClosed = false;
  canceled = false;
  /** False while the test plays a stream whose writes wait on back-pressure: progress() then sends nothing. */
  writable = true;
  private over = false;

  constructor(private readonly handlers: LinkHandlers) {}

  // What the worker sends.

  hello(value: HelloMessage): void {
    this.sent.push({ $case: 'hello', value });
  }

  heartbeat(leaseIds: string[], leasesReceived: number): void {
    this.sent.push({ $case: 'heartbeat', value: { leaseIds, leasesReceived } });
  }

  credit(slots: number): void {
    if (slots > 0) this.sent.push({ $case: 'credit', value: { slots } });
  }

  results(results: TaskResult[]): void {
    if (results.length > 0) this.sent.push({ $case: 'results', value: { results } });
  }

  progress(reports: ProgressReport[]): boolean {
    if (reports.length === 0) return true;
    if (!this.writable || this.over || this.halfClosed) return false;
    this.sent.push({ $case: 'progress', value: { reports } });
    return true;
  }

  drain(): void {
    this.sent.push({ $case: 'drain', value: {} });
  }

  end(): void {
    this.halfClosed = true;
    setImmediate(() => this.close());
  }

  cancel(): void {
    this.canceled = true;
    setImmediate(() => this.close({ code: GrpcStatus.CANCELLED, details: 'Cancelled on client' }));
  }

  // What the coordinator sends.

  welcome(heartbeatMs = 2000, partial: Partial<Welcome> = {}): void {
    this.handlers.welcome(Welcome.fromPartial({ sessionId: 'session-1', heartbeatInterval: msToDuration(heartbeatMs), resumeSecret: 'resume-secret-0123456789', ...partial }));
  }

  lease(...leases: Lease[]): void {
    this.handlers.leases(leases);
  }

  ack(leaseId: string, code: number = GrpcStatus.OK, message = ''): void {
    this.handlers.acks([{ leaseId, code, message }]);
  }

  cancelLeases(leaseIds: string[], reason: CancelReason, message = ''): void {
    this.handlers.cancel({ leaseIds, reason, message });
  }

  /** Ends the stream; `error` as grpc-js would report it (undefined for a clean end). Once only. */
  close(error?: LinkError): void {
    if (this.over) return;
    this.over = true;
    this.handlers.closed(error);
  }

  // What the test reads.

  /** The messages of one kind, in order. */
  of<K extends Sent['$case']>(kind: K): SentValue<K>[] {
    return this.sent.filter((m) => m.$case === kind).map((m) => m.value as SentValue<K>);
  }

  get helloSent(): HelloMessage {
    const [hello] = this.of('hello');
    if (!hello) throw new Error('no Hello sent');
    return hello;
  }

  /** Every message as a short line (`results a,b`, `credit 1`, `heartbeat a|2`, `progress a=0.5`), to check order. */
  get transcript(): string[] {
    return this.sent.map((m) => {
      switch (m.$case) {
        case 'hello':
          return `hello ${m.value.heldLeaseIds.join(',')}`;
        case 'heartbeat':
          return `heartbeat ${m.value.leaseIds.join(',')}|${m.value.leasesReceived}`;
        case 'credit':
          return `credit ${m.value.slots}`;
        case 'results':
          return `results ${m.value.results.map((r) => `${r.leaseId}:${r.outcome?.$case ?? ''}`).join(',')}`;
        case 'drain':
          return 'drain';
        case 'progress':
          return `progress ${m.value.reports.map((r) => `${r.leaseId}=${r.fraction}`).join(',')}`;
      }
    });
  }
}

/** The worker's links: one FakeLink per connection attempt. */
export class FakeLinks implements LinkFactory {
  readonly opened: FakeLink[] = [];
  closed = false;

  open(handlers: LinkHandlers): FakeLink {
    const link = new FakeLink(handlers);
    this.opened.push(link);
    return link;
  }

  close(): void {
    this.closed = true;
  }

  /** The newest link. */
  get current(): FakeLink {
    const link = this.opened.at(-1);
    if (!link) throw new Error('no link opened');
    return link;
  }
}

let leaseCount = 0;

/** A lease of a JSON payload, with a fresh lease id (`lease-N`). */
export function aLease(partial: Partial<Lease> = {}): Lease {
  leaseCount += 1;
  return Lease.fromPartial({
    leaseId: `lease-${leaseCount}`,
    taskId: `task-${leaseCount}`,
    queue: 'default',
    type: 'work',
    payload: Buffer.from(JSON.stringify({ n: leaseCount })),
    contentType: 'application/json',
    attempt: 1,
    maxAttempts: 3,
    ...partial,
  });
}

export const TIMEOUT = CancelReason.CANCEL_REASON_TIMEOUT;
export const CANCELED = CancelReason.CANCEL_REASON_CANCELED;

/** Lets promise callbacks and setImmediate turns run (the outbox sends once per turn). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise the test resolves: a handler that returns when told. */
export function deferred<T = unknown>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
