/**
 * The cost of idle workers: 1,000 connected sessions (simulated in this process, speaking
 * the protocol: Hello, a Heartbeat on the stream and a KeepAlive call every interval, as a
 * real worker does) — the coordinator's CPU while they idle, and the throughput of real
 * work with and without them, side by side.
 */
import { credentials, Metadata } from '@grpc/grpc-js';
import { join } from 'node:path';
import { BatonClient } from '../client/index';
import { WorkerServiceClient, type ConnectResponse } from '../shared/gen/baton/v1/worker_service';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../test/support/processes';
import { cpuSeconds, metricSum, sleepMs } from './support';

const SESSIONS = 1000;
const IDLE_WINDOW_MS = 10_000;
const TASKS = 10_000;
const HANDLERS = join(__dirname, 'handlers.cjs');

/** Opens `count` idle sessions on a queue nobody submits to; returns a function that ends them. */
async function idleSessions(address: string, count: number, heartbeatMs: number): Promise<() => void> {
  const client = new WorkerServiceClient(address, credentials.createInsecure());
  const timers: NodeJS.Timeout[] = [];
  const streams = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const stream = client.connect();
      const workerId = `idle-${i}`;
      return new Promise<typeof stream>((resolve) => {
        stream.on('data', (response: ConnectResponse) => {
          if (response.message?.$case !== 'welcome') return;
          const sessionId = response.message.value.sessionId;
          timers.push(
            setInterval(() => {
              stream.write({ message: { $case: 'heartbeat', value: { leaseIds: [], leasesReceived: 0 } } });
              client.keepAlive({ workerId, sessionId }, new Metadata(), () => undefined);
            }, heartbeatMs),
          );
          resolve(stream);
        });
        stream.on('error', () => undefined);
        stream.write({ message: { $case: 'hello', value: { workerId, queues: ['idle'], taskTypes: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' } } });
      });
    }),
  );
  return () => {
    timers.forEach(clearInterval);
    streams.forEach((stream) => stream.cancel());
    client.close();
  };
}

async function throughput(coordinator: CoordinatorHandle, client: BatonClient): Promise<number> {
  const before = await metricSum(coordinator, 'baton_tasks_finished_total');
  const started = performance.now();
  for (let sent = 0; sent < TASKS; sent += 500) await client.submitMany(Array.from({ length: 500 }, () => ({ type: 'noop' })));
  while ((await metricSum(coordinator, 'baton_tasks_finished_total')) < before + TASKS) await sleepMs(20);
  return TASKS / ((performance.now() - started) / 1000);
}

export async function benchHeartbeats(): Promise<void> {
  for (const heartbeatMs of [2000, 200]) {
    const group = new ProcessGroup();
    try {
      const coordinator = await startCoordinator(group, {
        dataDir: join(group.tempDir('baton-bench-'), 'data'),
        args: ['--heartbeat-interval', `${heartbeatMs}ms`, '--lease-timeout', `${heartbeatMs * 5}ms`],
      });
      await startWorker(group, coordinator.address, { module: HANDLERS, concurrency: 64 });
      const client = new BatonClient({ address: coordinator.address });
      const pid = coordinator.process.pid;

      let cpuBefore = cpuSeconds(pid);
      await sleepMs(IDLE_WINDOW_MS);
      const idleAlone = (cpuSeconds(pid) - cpuBefore) / (IDLE_WINDOW_MS / 1000);
      const alone = await throughput(coordinator, client);

      const end = await idleSessions(coordinator.address, SESSIONS, heartbeatMs);
      cpuBefore = cpuSeconds(pid);
      await sleepMs(IDLE_WINDOW_MS);
      const idleWith = (cpuSeconds(pid) - cpuBefore) / (IDLE_WINDOW_MS / 1000);
      const withIdle = await throughput(coordinator, client);
      end();

      console.log(
        `heartbeat every ${heartbeatMs}ms: coordinator CPU while idle ${(idleAlone * 100).toFixed(1)}% alone, ` +
          `${(idleWith * 100).toFixed(1)}% with ${SESSIONS} idle sessions; ` +
          `throughput ${alone.toFixed(0)} tasks/s alone, ${withIdle.toFixed(0)} tasks/s with them (${((withIdle / alone) * 100).toFixed(0)}%)`,
      );
      client.close();
    } finally {
      await group.cleanup();
    }
  }
}
