/**
 * BullMQ as a compared system: a private redis-server (AOF everysec), worker processes
 * running bench/compare/bullmq-worker.cjs, and a Queue in the benchmark process as the
 * producer.
 *
 * Job options, on every job through the Queue's defaults: finished jobs are kept
 * (removeOnComplete/removeOnFail false, BullMQ's default), as Baton keeps every finished task
 * readable; 3 attempts with exponential backoff from 1 s, as Baton's defaults.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { BatonProcess, ProcessGroup, REPO_ROOT } from '../../test/support/processes';
import { openBullmqConnection, type BullmqClientKind, type BullmqConnection } from './bullmq-client';
import type { SystemPids } from './peak-rss';
import { startRedisServer, type RedisServer } from './redis-server';
import { elapsedMs, stampOf, type LatencySample, type System, type SystemRun } from './system';
import { COMPARE, NOOP_TYPE, STAMP_TYPE, payloadFor } from './workload';

const QUEUE_NAME = 'bench';
const WORKER_SCRIPT = join(__dirname, 'bullmq-worker.cjs');
const WORKER_READY_TIMEOUT_MS = 30_000;
const WAIT_FINISHED_TIMEOUT_MS = 30_000;

type Payload = Record<string, unknown>;
type StampResult = { startNs: string } | null;

export function bullmqSystem(redisBinary: string, client: BullmqClientKind): System {
  return {
    name: 'bullmq',
    async start(): Promise<SystemRun> {
      const group = new ProcessGroup();
      const connections: BullmqConnection[] = [];
      let queue: Queue<Payload, StampResult> | undefined;
      try {
        const redis = await startRedisServer(group, redisBinary);
        const opened = await openBullmqConnection(client, redis.port);
        connections.push(opened);
        queue = new Queue<Payload, StampResult>(QUEUE_NAME, {
          connection: opened.connection,
          defaultJobOptions: { removeOnComplete: false, removeOnFail: false, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
        });
        queue.on('error', reportError('queue'));
        await queue.waitUntilReady();
        return new BullmqRun(group, redis, client, queue, connections);
      } catch (err: unknown) {
        await queue?.close().catch(() => undefined);
        await Promise.allSettled(connections.map((c) => c.release()));
        await group.cleanup();
        throw err;
      }
    },
  };
}

/** BullMQ emits connection trouble as 'error' events, which would end the process unheard. */
const reportError =
  (what: string) =>
  (err: Error): void =>
    console.error(`bullmq ${what}: ${err.message}`);

class BullmqRun implements SystemRun {
  private readonly workers: BatonProcess[] = [];
  /** Made on the first latency sample only, so that it costs the throughput scenarios nothing. */
  private events: QueueEvents | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly group: ProcessGroup,
    private readonly redis: RedisServer,
    private readonly client: BullmqClientKind,
    private readonly queue: Queue<Payload, StampResult>,
    /** Freed after the Queue and QueueEvents close. */
    private readonly connections: BullmqConnection[],
  ) {}

  async startWorkers(count: number): Promise<number> {
    const started = Array.from({ length: count }, () => {
      const child = spawn(process.execPath, [WORKER_SCRIPT, String(this.redis.port), QUEUE_NAME, String(COMPARE.concurrency), this.client], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return this.group.add(new BatonProcess(child, 'bullmq-worker'));
    });
    this.workers.push(...started);
    const lines = await Promise.all(started.map((worker) => worker.waitForLog((line) => line.msg === 'ready', 'ready', WORKER_READY_TIMEOUT_MS)));
    return Math.min(...lines.map((line) => Number(line.atMs)));
  }

  async submitBatch(first: number, count: number): Promise<void> {
    await this.queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: NOOP_TYPE, data: payloadFor(first + i) })));
  }

  async submitOne(index: number): Promise<void> {
    await this.queue.add(NOOP_TYPE, payloadFor(index));
  }

  /** The completed and failed sets' sizes: two ZCARDs in one round trip. */
  async finished(): Promise<number> {
    const counts = await this.queue.getJobCounts('completed', 'failed');
    return (counts.completed ?? 0) + (counts.failed ?? 0);
  }

  async measureOne(index: number): Promise<LatencySample> {
    const events = await this.queueEvents();
    const sentNs = process.hrtime.bigint();
    const job = await this.queue.add(STAMP_TYPE, payloadFor(index));
    const ackedNs = process.hrtime.bigint();
    const result = await job.waitUntilFinished(events, WAIT_FINISHED_TIMEOUT_MS);
    const seenNs = process.hrtime.bigint();
    const startNs = stampOf(result);
    return { ackMs: elapsedMs(sentNs, ackedNs), startMs: elapsedMs(sentNs, startNs), completeMs: elapsedMs(sentNs, seenNs) };
  }

  pids(): SystemPids {
    return { coordinator: this.redis.process.pid, workers: this.workers.map((worker) => worker.pid) };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.events?.close();
        await this.queue.close();
      } finally {
        await Promise.allSettled(this.connections.map((c) => c.release()));
        await this.group.cleanup();
      }
    })();
    return this.closing;
  }

  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      const opened = await openBullmqConnection(this.client, this.redis.port);
      this.connections.push(opened);
      this.events = new QueueEvents(QUEUE_NAME, { connection: opened.connection });
      this.events.on('error', reportError('queue events'));
      await this.events.waitUntilReady();
    }
    return this.events;
  }
}
