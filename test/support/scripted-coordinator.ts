import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import {
  CancelReason,
  WorkerServiceService,
  type ConnectRequest,
  type ConnectResponse,
  type KeepAliveRequest,
  type KeepAliveResponse,
  type Lease,
} from '../../shared/gen/baton/v1/worker_service';

type Message = NonNullable<ConnectRequest['message']>;
/** What each kind of worker message carries. */
type Payloads = { [M in Message as M['$case']]: M['value'] };

/**
 * One worker stream as the test drives it: every message the worker sent is kept, and the
 * test waits for the one it expects instead of sleeping.
 */
export class ScriptedStream {
  readonly received: Message[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly call: ServerDuplexStream<ConnectRequest, ConnectResponse>) {
    call.on('data', (request: ConnectRequest) => {
      if (request.message) this.received.push(request.message);
      for (const waiter of [...this.waiters]) waiter();
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined); // a worker that goes away mid-test is not a test failure
  }

  /** Resolves with the first message from index `from` on that matches. */
  next<C extends keyof Payloads>(kind: C, predicate: (value: Payloads[C]) => boolean = () => true, from = 0): Promise<Payloads[C]> {
    return new Promise((resolve) => {
      const check = (): void => {
        for (const message of this.received.slice(from)) {
          if (message.$case !== kind) continue;
          const value = message.value as Payloads[C];
          if (predicate(value)) {
            this.waiters.delete(check);
            resolve(value);
            return;
          }
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  welcome(options: { heartbeatMs: number; maxResultBytes?: number }): void {
    const heartbeatInterval = { seconds: 0, nanos: options.heartbeatMs * 1_000_000 };
    this.write({ $case: 'welcome', value: { sessionId: 'session-1', heartbeatInterval, reclaimedLeaseIds: [], maxResultBytes: options.maxResultBytes ?? 0, resumeSecret: 'secret' } });
  }

  leases(leases: Array<Pick<Lease, 'leaseId' | 'type'> & Partial<Lease>>): void {
    const full = leases.map((lease) => ({
      taskId: `task-${lease.leaseId}`,
      queue: 'default',
      payload: Buffer.from('{}'),
      contentType: 'application/json',
      attempt: 1,
      maxAttempts: 3,
      labels: {},
      traceContext: {},
      ...lease,
    }));
    this.write({ $case: 'leases', value: { leases: full } });
  }

  cancel(leaseIds: string[]): void {
    this.write({ $case: 'cancel', value: { leaseIds, reason: CancelReason.CANCEL_REASON_CANCELED, message: 'canceled by the test' } });
  }

  ack(leaseIds: string[]): void {
    this.write({ $case: 'resultAcks', value: { acks: leaseIds.map((leaseId) => ({ leaseId, code: 0, message: '' })) } });
  }

  /** Ends the stream with OK, as a coordinator going away cleanly would. */
  end(): void {
    this.call.end();
  }

  private write(message: NonNullable<ConnectResponse['message']>): void {
    this.call.write({ message });
  }
}

/**
 * A plaintext stand-in for the coordinator's worker service on 127.0.0.1, port 0. Each
 * Connect becomes a ScriptedStream; nothing is sent unless the test says so.
 */
export class ScriptedCoordinator {
  readonly streams: ScriptedStream[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly server: Server, readonly address: string) {}

  static async start(): Promise<ScriptedCoordinator> {
    const server = new Server();
    const made: { coordinator?: ScriptedCoordinator } = {};
    server.addService(WorkerServiceService, {
      connect(call: ServerDuplexStream<ConnectRequest, ConnectResponse>) {
        made.coordinator?.streams.push(new ScriptedStream(call));
        for (const waiter of [...(made.coordinator?.waiters ?? [])]) waiter();
      },
      keepAlive(_call: ServerUnaryCall<KeepAliveRequest, KeepAliveResponse>, callback: sendUnaryData<KeepAliveResponse>) {
        callback(null, { sessionAlive: true });
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    made.coordinator = new ScriptedCoordinator(server, `127.0.0.1:${port}`);
    return made.coordinator;
  }

  /** Resolves with the `index`th stream (0 for the first) once the worker has opened it. */
  stream(index: number): Promise<ScriptedStream> {
    return new Promise((resolve) => {
      const check = (): void => {
        const stream = this.streams[index];
        if (!stream) return;
        this.waiters.delete(check);
        resolve(stream);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.server.forceShutdown();
  }
}
