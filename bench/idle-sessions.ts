/**
 * A child process of the `sessions` part (scale-sessions.ts): opens many idle worker
 * sessions that behave on the wire like Baton's worker, minus the work. Each session has two
 * HTTP/2 connections of its own, as a worker process does: the Connect stream (Hello, then a
 * Heartbeat every heartbeat interval from Welcome, `keepalive_time_ms` 30 s like
 * worker/coordinator-link.ts) and a KeepAlive channel (one KeepAlive call per interval, like
 * worker/keep-alive-thread.ts). Each session's timers start at a random phase of the
 * interval, as workers that connected at different moments would be.
 *
 * Started with fork(); talks over IPC: it sends `opened` once every session is welcomed
 * and `closed` (with counts of streams that failed) after a `stop` message, then exits.
 */
import { credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { WorkerServiceClient, type ConnectRequest, type ConnectResponse } from '../shared/gen/baton/v1/worker_service';
import { durationToMs } from '../shared/proto-time';

/** What the parent passes, as JSON in argv[2]. */
export interface IdleSessionsConfig {
  readonly address: string;
  readonly count: number;
  readonly queue: string;
  /** Task types the sessions claim to run; one nobody submits keeps them idle on a busy queue. */
  readonly taskTypes: readonly string[];
  readonly concurrency: number;
}

export type IdleSessionsReport =
  | { readonly kind: 'opened'; readonly sessions: number; readonly ms: number; readonly heartbeatMs: number }
  | { readonly kind: 'closed'; readonly streamErrors: number; readonly keepAliveErrors: number; readonly heartbeatsSent: number };

const OPEN_AT_ONCE = 100;
/** As the real worker's Connect channel. */
const CONNECT_CHANNEL_OPTIONS = { 'grpc.keepalive_time_ms': 30_000, 'grpc.use_local_subchannel_pool': 1 };
/** A channel of its own per client, not one shared by every client with the same options. */
const KEEPALIVE_CHANNEL_OPTIONS = { 'grpc.use_local_subchannel_pool': 1 };

interface IdleSession {
  readonly connect: WorkerServiceClient;
  readonly keepAlive: WorkerServiceClient;
  readonly stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  readonly timers: NodeJS.Timeout[];
}

const counts = { streamErrors: 0, keepAliveErrors: 0, heartbeatsSent: 0 };
let stopping = false;

function openSession(config: IdleSessionsConfig, index: number): Promise<{ session: IdleSession; heartbeatMs: number }> {
  const connect = new WorkerServiceClient(config.address, credentials.createInsecure(), CONNECT_CHANNEL_OPTIONS);
  const keepAlive = new WorkerServiceClient(config.address, credentials.createInsecure(), KEEPALIVE_CHANNEL_OPTIONS);
  const stream = connect.connect();
  const workerId = `idle-${process.pid}-${index}`;
  const session: IdleSession = { connect, keepAlive, stream, timers: [] };
  return new Promise((resolve, reject) => {
    stream.on('data', (response: ConnectResponse) => {
      if (response.message?.$case !== 'welcome') return;
      const welcome = response.message.value;
      const heartbeatMs = durationToMs(welcome.heartbeatInterval) ?? 2000;
      const beat = (): void => {
        stream.write({ message: { $case: 'heartbeat', value: { leaseIds: [], leasesReceived: 0 } } });
        keepAlive.keepAlive({ workerId, sessionId: welcome.sessionId }, new Metadata(), { deadline: Date.now() + heartbeatMs }, (err: ServiceError | null) => {
          if (err && !stopping) counts.keepAliveErrors += 1;
        });
        counts.heartbeatsSent += 1;
      };
      const phase = setTimeout(() => session.timers.push(setInterval(beat, heartbeatMs)), Math.random() * heartbeatMs);
      session.timers.push(phase);
      resolve({ session, heartbeatMs });
    });
    stream.on('error', (err: ServiceError) => {
      if (stopping) return;
      counts.streamErrors += 1;
      reject(err);
    });
    stream.write({
      message: {
        $case: 'hello',
        value: { workerId, queues: [config.queue], taskTypes: [...config.taskTypes], concurrency: config.concurrency, heldLeaseIds: [], resumeSecret: '', hostname: 'bench-idle' },
      },
    });
  });
}

function closeSession(session: IdleSession): void {
  session.timers.forEach((timer) => clearTimeout(timer));
  session.stream.cancel();
  session.connect.close();
  session.keepAlive.close();
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as IdleSessionsConfig;
  const sessions: IdleSession[] = [];
  const started = performance.now();
  let heartbeatMs = 0;
  process.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    stopping = true;
    sessions.forEach(closeSession);
    process.send?.({ kind: 'closed', ...counts } satisfies IdleSessionsReport, () => process.disconnect());
  });
  for (let first = 0; first < config.count; first += OPEN_AT_ONCE) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(OPEN_AT_ONCE, config.count - first) }, (_, k) => openSession(config, first + k)),
    );
    for (const { session, heartbeatMs: ms } of opened) {
      sessions.push(session);
      heartbeatMs = ms;
    }
  }
  process.send?.({ kind: 'opened', sessions: sessions.length, ms: performance.now() - started, heartbeatMs } satisfies IdleSessionsReport);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  process.disconnect();
});
