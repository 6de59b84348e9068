/**
 * Part `delayed`: many tasks coming due. Submits BENCH_DELAYED (default 100,000) ~100-byte
 * no-op tasks whose run_at is spread uniformly over a BENCH_DELAYED_WINDOW_MS (20 s) window
 * that opens BENCH_DELAYED_LEAD_MS (10 s) after the submission is expected to end (the run_at
 * has to be chosen before: the expectation is BENCH_DELAYED_ASSUMED_RATE, 4,000 tasks/s, and
 * the figures printed say how it turned out). Two workers × 64 are connected throughout.
 *
 * Lateness = handler start − run_at, with the handler start taken in the handler itself
 * (recording-handlers.cjs: wall clock when the handler is called, on the same machine as the
 * submitter), for every task; beside it, from a sample of tasks read back, the coordinator's
 * attempt start (the moment it granted the lease) − run_at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BatonClient } from '../client/index';
import { ProcessGroup, startCoordinator, startWorker } from '../test/support/processes';
import { describeMemory, paddedPayload, processMemory, rate, RECORDING_HANDLERS, readRunLogs, seconds, submitInBatches, waitForFinished } from './scale-support';
import { cpuSeconds, percentile, sleepMs } from './support';

const DELAYED = Number(process.env.BENCH_DELAYED ?? 100_000);
const LEAD_MS = Number(process.env.BENCH_DELAYED_LEAD_MS ?? 10_000);
const WINDOW_MS = Number(process.env.BENCH_DELAYED_WINDOW_MS ?? 20_000);
const ASSUMED_RATE = Number(process.env.BENCH_DELAYED_ASSUMED_RATE ?? 4000);
const SAMPLE = 300;
const WORKERS = 2;
const CONCURRENCY = 64;

function summary(values: number[]): string {
  values.sort((a, b) => a - b);
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  return `min ${ms(values[0] ?? NaN)}, p50 ${ms(percentile(values, 50))}, p90 ${ms(percentile(values, 90))}, p99 ${ms(percentile(values, 99))}, max ${ms(values[values.length - 1] ?? NaN)}`;
}

interface Submitted {
  /** Task id → its run_at, wall-clock ms. */
  readonly dueOf: Map<string, number>;
  readonly submitEnded: number;
  readonly firstDue: number;
  readonly lastDue: number;
}

async function submitDelayed(client: BatonClient): Promise<Submitted> {
  const submitStarted = Date.now();
  const windowOpens = submitStarted + (DELAYED / ASSUMED_RATE) * 1000 + LEAD_MS;
  const dueMs = Array.from({ length: DELAYED }, () => Math.round(windowOpens + Math.random() * WINDOW_MS));
  const ids = await submitInBatches(client, DELAYED, (i) => ({ type: 'noop', payload: paddedPayload(i), options: { runAt: new Date(dueMs[i]!) } }), {
    batch: 5000,
    inFlight: 4,
  });
  const submitEnded = Date.now();
  const firstDue = dueMs.reduce((a, b) => Math.min(a, b), Infinity);
  const lastDue = dueMs.reduce((a, b) => Math.max(a, b), -Infinity);
  const early = dueMs.filter((due) => due < submitEnded).length;
  console.log(
    `  submitted in ${seconds(submitEnded - submitStarted)} (${rate(DELAYED, submitEnded - submitStarted)}); ` +
      `due from ${seconds(firstDue - submitEnded)} to ${seconds(lastDue - submitEnded)} after submission ended` +
      (early > 0 ? ` (${early} came due before it ended: raise BENCH_DELAYED_LEAD_MS)` : ''),
  );
  return { dueOf: new Map(ids.map((id, i) => [id, dueMs[i]!])), submitEnded, firstDue, lastDue };
}

async function reportLateness(client: BatonClient, runLogs: string, dueOf: ReadonlyMap<string, number>): Promise<void> {
  const starts = readRunLogs(runLogs).filter((s) => s.attempt === 1);
  const lateness = starts.map((s) => s.atMs - (dueOf.get(s.taskId) ?? NaN)).filter((v) => !Number.isNaN(v));
  console.log(`  lateness, handler start - run_at, ${lateness.length} tasks: ${summary(lateness)}`);
  const ids = [...dueOf.keys()];
  const size = Math.min(SAMPLE, ids.length);
  const granted: number[] = [];
  for (let k = 0; k < size; k += 1) {
    const id = ids[Math.floor((k * ids.length) / size)]!;
    const startedAt = (await client.get(id)).attempts[0]?.startedAt?.getTime();
    if (startedAt !== undefined) granted.push(startedAt - dueOf.get(id)!);
  }
  console.log(`  lateness, coordinator's attempt start - run_at (ms resolution), ${granted.length} sampled tasks: ${summary(granted)}`);
}

export async function benchDelayed(): Promise<void> {
  console.log(`delayed: ${DELAYED} tasks due over ${WINDOW_MS / 1000} s, ${WORKERS} workers x ${CONCURRENCY} connected, --sync normal`);
  const group = new ProcessGroup();
  try {
    const dir = group.tempDir('baton-bench-delayed-');
    const runLogs = join(dir, 'runs');
    mkdirSync(runLogs);
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: ['--sync', 'normal'] });
    const pid = coordinator.process.pid;
    await Promise.all(
      Array.from({ length: WORKERS }, () =>
        startWorker(group, coordinator.address, { module: RECORDING_HANDLERS, concurrency: CONCURRENCY, env: { BENCH_RUN_LOG_DIR: runLogs } }),
      ),
    );
    const client = new BatonClient({ address: coordinator.address, callTimeoutMs: 60_000 });
    try {
      const { dueOf, submitEnded, firstDue, lastDue } = await submitDelayed(client);
      console.log(`  coordinator with ${DELAYED} waiting: ${describeMemory(processMemory(pid))}`);
      const waitMs = firstDue - Date.now() - 200;
      if (waitMs > 1000) {
        const cpuBefore = cpuSeconds(pid);
        await sleepMs(waitMs);
        console.log(`  coordinator CPU while they wait, before the first comes due: ${(((cpuSeconds(pid) - cpuBefore) / (waitMs / 1000)) * 100).toFixed(1)}%`);
      }
      await waitForFinished(coordinator, DELAYED, lastDue - Date.now() + 600_000, 50);
      const finishedAt = Date.now();
      console.log(`  last task finished ${seconds(finishedAt - lastDue)} after the last came due (${seconds(finishedAt - submitEnded)} after submission ended)`);
      await reportLateness(client, runLogs, dueOf);
    } finally {
      client.close();
    }
  } finally {
    await group.cleanup();
  }
}
