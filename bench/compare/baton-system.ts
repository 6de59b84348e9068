/**
 * Baton as a compared system: a coordinator process (the real one with some flags, or the
 * transport stand-in), `baton worker` processes from dist/ running bench/compare/handlers.cjs,
 * and a BatonClient in the benchmark process as the producer.
 */
import { join } from 'node:path';
import { BatonClient, TaskState, isTerminalState } from '../../client/index';
import { ProcessGroup, startCoordinator, startWorker, type BatonProcess } from '../../test/support/processes';
import { metricSum } from '../support';
import type { SystemPids } from './peak-rss';
import { elapsedMs, stampOf, type LatencySample, type System, type SystemRun } from './system';
import { COMPARE, NOOP_TYPE, STAMP_TYPE, payloadFor } from './workload';

/** What the scenarios need of a coordinator: the shape of test/support's CoordinatorHandle. */
export interface CoordinatorEndpoint {
  readonly address: string;
  readonly httpPort: number;
  readonly process: { readonly pid: number };
}

/** Starts a coordinator (or a stand-in) whose processes and dirs `group` owns. */
export type StartCoordinator = (group: ProcessGroup) => Promise<CoordinatorEndpoint>;

const WORKER_CONNECTED = 'connected to the coordinator';

/** The real coordinator with `args` (e.g. `--sync normal`), on a fresh data dir. */
export function realCoordinator(args: readonly string[]): StartCoordinator {
  return (group) => startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-compare-'), 'data'), args });
}

export function batonSystem(name: string, start: StartCoordinator): System {
  return {
    name,
    async start(): Promise<SystemRun> {
      const group = new ProcessGroup();
      try {
        return new BatonRun(group, await start(group));
      } catch (err: unknown) {
        await group.cleanup();
        throw err;
      }
    },
  };
}

class BatonRun implements SystemRun {
  private readonly client: BatonClient;
  private readonly workers: BatonProcess[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly group: ProcessGroup,
    private readonly coordinator: CoordinatorEndpoint,
  ) {
    this.client = new BatonClient({ address: coordinator.address });
  }

  async startWorkers(count: number): Promise<number> {
    const started = await Promise.all(
      Array.from({ length: count }, () => startWorker(this.group, this.coordinator.address, { module: COMPARE.batonHandlers, concurrency: COMPARE.concurrency })),
    );
    this.workers.push(...started);
    // The worker logs this on the coordinator's Welcome; leases follow at once. pino's time, ms.
    const lines = await Promise.all(started.map((worker) => worker.waitForLog((line) => line.msg === WORKER_CONNECTED, 'connected')));
    return Math.min(...lines.map((line) => Date.parse(String(line.time))));
  }

  async submitBatch(first: number, count: number): Promise<void> {
    await this.client.submitMany(Array.from({ length: count }, (_, i) => ({ type: NOOP_TYPE, payload: payloadFor(first + i) })));
  }

  async submitOne(index: number): Promise<void> {
    await this.client.submit(NOOP_TYPE, payloadFor(index));
  }

  /** baton_tasks_finished_total from /metrics: a counter in memory, one HTTP GET. */
  finished(): Promise<number> {
    return metricSum(this.coordinator, 'baton_tasks_finished_total');
  }

  async measureOne(index: number): Promise<LatencySample> {
    const sentNs = process.hrtime.bigint();
    const { task } = await this.client.submit(STAMP_TYPE, payloadFor(index));
    const ackedNs = process.hrtime.bigint();
    let state = task.state;
    for await (const update of this.client.watch(task.id)) {
      state = update.state;
      if (isTerminalState(state)) break;
    }
    const seenNs = process.hrtime.bigint();
    if (state !== TaskState.TASK_STATE_SUCCEEDED) throw new Error(`task ${task.id} ended ${TaskState[state]}`);
    // Watch updates carry no result; read it once the clock has stopped.
    const startNs = stampOf(this.client.decodeResult(await this.client.get(task.id)));
    return { ackMs: elapsedMs(sentNs, ackedNs), startMs: elapsedMs(sentNs, startNs), completeMs: elapsedMs(sentNs, seenNs) };
  }

  pids(): SystemPids {
    return { coordinator: this.coordinator.process.pid, workers: this.workers.map((worker) => worker.pid) };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.client.close();
      await this.group.cleanup();
    })();
    return this.closing;
  }
}
