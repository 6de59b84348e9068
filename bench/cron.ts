/**
 * Part `cron` (issue 9): how late schedules fire when there are many. BENCH_CRON_SCHEDULES
 * (10,000) schedules, each firing every 10 s, under two loads, each on a fresh `--sync
 * normal` coordinator with one `baton worker` (64 no-op slots) running what they submit:
 *
 * - `spread`: `every` 10 s, start times 10 s / N apart, so that some schedule fires every
 *   millisecond or so (1,000 fires a second, evenly).
 * - `aligned`: the cron `*\/10 * * * * *` for all of them, so that every 10 s all of them
 *   are due at the same instant.
 *
 * Overlap policy ALLOW, so that every fire time submits a task whatever became of the last
 * one, and fires counted against expected measure the scheduler alone. After the schedules are
 * created (CreateSchedule, 64 calls in flight, timed), a window of BENCH_CRON_RUN_MS (60 s)
 * opens on the next 10-s boundary at least 5 s later. Lateness = the task's created_at − its
 * schedule_fire_time, for every task whose fire time falls in the window, read back by
 * ListTasks once the window has closed and BENCH_CRON_DRAIN_MS (5 s) more have passed; a fire
 * time with no task by then counts as missing. Over the window: the coordinator's CPU (from
 * /proc) and memory, its group commits (from /metrics), and the round trip of a small read
 * (ListTasks of one task) made every 100 ms, which shows how long the event loop keeps callers
 * waiting while schedules fire. Last, the coordinator is stopped (SIGTERM) and started again on its data
 * directory: the time from spawn to /readyz 200 with the schedules loaded, beside the
 * same figure for the empty coordinator at the start.
 *
 *   node --import tsx bench/run.ts cron          (BENCH_CRON_LOADS=spread,aligned)
 */
import { join } from 'node:path';
import type { CreateScheduleRequest } from '../shared/gen/baton/v1/schedule';
import { CatchUpPolicy, OverlapPolicy } from '../shared/gen/baton/v1/schedule';
import { TaskState, type Task } from '../shared/gen/baton/v1/task';
import { ProcessGroup, startWorker, type BatonProcess, type CoordinatorHandle } from '../test/support/processes';
import { startTimed, type TimedStartUp } from './coordinator-start-up';
import { mapInFlight, RawTaskQueue } from './raw-task-queue';
import { describeMemory, processMemory, seconds } from './scale-support';
import { cpuSeconds, metricSum, percentile, sleepMs, WORKLOAD } from './support';

const SCHEDULES = Number(process.env.BENCH_CRON_SCHEDULES ?? 10_000);
const RUN_MS = Number(process.env.BENCH_CRON_RUN_MS ?? 60_000);
const DRAIN_MS = Number(process.env.BENCH_CRON_DRAIN_MS ?? 5_000);
const LOADS: readonly string[] = (process.env.BENCH_CRON_LOADS ?? 'spread,aligned').split(',');
const INTERVAL_MS = 10_000;
const CRON_EVERY_10_S = '*/10 * * * * *';
const SETTLE_MS = 5_000;
/** CPU is read over [window − this, window end − this]: the same number of aligned bursts, none cut in two. */
const CPU_LEAD_MS = 500;
const CREATE_IN_FLIGHT = 64;
const PROBE_GAP_MS = 100;
const QUEUE = 'cron-bench';
const COORDINATOR_ARGS = ['--sync', 'normal'];

type Load = 'spread' | 'aligned';

export async function benchCron(): Promise<void> {
  console.log(
    `cron: ${SCHEDULES} schedules firing every ${INTERVAL_MS / 1000} s (overlap ALLOW), a window of ${RUN_MS / 1000} s, ` +
      `--sync normal, 1 worker x 64 no-op slots; loads: ${LOADS.join(', ')}`,
  );
  const loads = LOADS.filter((load): load is Load => load === 'spread' || load === 'aligned');
  if (loads.length !== LOADS.length) throw new Error(`BENCH_CRON_LOADS: "${LOADS.join(',')}" names a load other than spread and aligned`);
  for (const load of loads) await runLoad(load);
}

async function runLoad(load: Load): Promise<void> {
  console.log(`  ${load}: ${load === 'spread' ? `every 10 s, start times ${(INTERVAL_MS / SCHEDULES).toFixed(2)} ms apart` : `cron "${CRON_EVERY_10_S}" for all`}`);
  const group = new ProcessGroup();
  try {
    const dataDir = join(group.tempDir('baton-bench-cron-'), 'data');
    const empty = await startTimed(group, dataDir, COORDINATOR_ARGS);
    const { coordinator } = empty;
    console.log(`    empty coordinator: spawn to /readyz 200 in ${seconds(empty.readyMs)} (${empty.steps}); ${describeMemory(processMemory(coordinator.process.pid))}`);
    const worker = await startWorker(group, coordinator.address, { module: WORKLOAD.handlers, concurrency: 64, args: ['--queue', QUEUE] });
    const raw = new RawTaskQueue(coordinator.address);
    try {
      await createSchedules(raw, coordinator, load);
      await measureWindow(raw, coordinator, worker);
    } finally {
      raw.close();
    }
    await worker.stop();
    await restart(group, coordinator);
  } finally {
    await group.cleanup();
  }
}

function scheduleRequest(load: Load, i: number, baseMs: number): CreateScheduleRequest {
  return {
    spec: {
      name: `bench-${load}-${i}`,
      cron: load === 'aligned' ? CRON_EVERY_10_S : '',
      every: load === 'spread' ? { seconds: INTERVAL_MS / 1000, nanos: 0 } : undefined,
      // A start time in the past only sets the phase: the first fire is the first one after creation.
      startTime: load === 'spread' ? new Date(baseMs + Math.floor((i * INTERVAL_MS) / SCHEDULES)) : undefined,
      timezone: '',
      task: { queue: QUEUE, type: 'noop', payload: Buffer.from('{}'), contentType: '', priority: 0, maxAttempts: 0, labels: {} },
      overlap: OverlapPolicy.OVERLAP_POLICY_ALLOW,
      catchUp: CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED,
      catchUpLimit: 0,
    },
  };
}

async function createSchedules(raw: RawTaskQueue, coordinator: CoordinatorHandle, load: Load): Promise<void> {
  const baseMs = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - INTERVAL_MS;
  const pid = coordinator.process.pid;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await mapInFlight(
    Array.from({ length: SCHEDULES }, (_, i) => i),
    CREATE_IN_FLIGHT,
    (i) => raw.createSchedule(scheduleRequest(load, i, baseMs)),
  );
  const ms = performance.now() - started;
  console.log(
    `    created ${SCHEDULES} schedules in ${seconds(ms)} (${(SCHEDULES / (ms / 1000)).toFixed(0)}/s, ${CREATE_IN_FLIGHT} calls in flight; ` +
      `coordinator CPU ${((cpuSeconds(pid) - cpuBefore) / (ms / 1000) * 100).toFixed(0)}% meanwhile, fires included); ${describeMemory(processMemory(pid))}`,
  );
}

async function measureWindow(raw: RawTaskQueue, coordinator: CoordinatorHandle, worker: BatonProcess): Promise<void> {
  const windowStartMs = Math.ceil((Date.now() + SETTLE_MS) / INTERVAL_MS) * INTERVAL_MS;
  const windowEndMs = windowStartMs + RUN_MS;
  const pid = coordinator.process.pid;
  await sleepMs(windowStartMs - CPU_LEAD_MS - Date.now());
  const before = { coordinator: cpuSeconds(pid), worker: cpuSeconds(worker.pid), at: performance.now(), commits: await commitFigures(coordinator) };
  const probes = await probeReads(raw, windowEndMs - CPU_LEAD_MS);
  const elapsedS = (performance.now() - before.at) / 1000;
  const coordinatorCpu = (cpuSeconds(pid) - before.coordinator) / elapsedS;
  const workerCpu = (cpuSeconds(worker.pid) - before.worker) / elapsedS;
  const commits = await commitFigures(coordinator);
  const memory = processMemory(pid);
  await sleepMs(windowEndMs + DRAIN_MS - Date.now());
  const tasks = await raw.listAll({ queue: QUEUE, state: TaskState.TASK_STATE_UNSPECIFIED, type: '', schedule: '', createdAfter: new Date(windowStartMs) });
  reportFires(tasks, windowStartMs, windowEndMs);
  const count = commits.count - before.commits.count;
  console.log(
    `    coordinator over the window: CPU ${(coordinatorCpu * 100).toFixed(1)}% of a core (worker ${(workerCpu * 100).toFixed(1)}%); ` +
      `${(count / elapsedS).toFixed(0)} commits/s of ${((commits.rows - before.commits.rows) / count).toFixed(1)} rows each on average, ` +
      `${(((commits.seconds - before.commits.seconds) / elapsedS) * 100).toFixed(1)}% of the time inside commits; ${describeMemory(memory)}`,
  );
  probes.sort((a, b) => a - b);
  console.log(
    `    a read meanwhile (ListTasks of one task every ${PROBE_GAP_MS} ms; reads wait for pending writes to commit): ` +
      `${probes.length} calls, p50 ${percentile(probes, 50).toFixed(1)} ms, p99 ${percentile(probes, 99).toFixed(1)} ms, max ${(probes[probes.length - 1] ?? NaN).toFixed(1)} ms`,
  );
}

/** The group commit's counters: commits, rows written, and seconds spent in commits. */
async function commitFigures(coordinator: CoordinatorHandle): Promise<{ count: number; rows: number; seconds: number }> {
  const [count, rows, seconds] = await Promise.all([
    metricSum(coordinator, 'baton_store_commit_batch_size_count'),
    metricSum(coordinator, 'baton_store_commit_batch_size_sum'),
    metricSum(coordinator, 'baton_store_commit_duration_seconds_sum'),
  ]);
  return { count, rows, seconds };
}

/** A small read every PROBE_GAP_MS until `untilMs` (wall clock): how long callers wait while schedules fire. */
async function probeReads(raw: RawTaskQueue, untilMs: number): Promise<number[]> {
  const samples: number[] = [];
  while (Date.now() < untilMs) {
    const started = performance.now();
    await raw.listTasks({ queue: QUEUE, state: TaskState.TASK_STATE_UNSPECIFIED, type: '', schedule: '', pageSize: 1, pageToken: '' });
    samples.push(performance.now() - started);
    await sleepMs(Math.min(PROBE_GAP_MS, untilMs - Date.now()));
  }
  return samples;
}

function reportFires(tasks: readonly Task[], windowStartMs: number, windowEndMs: number): void {
  const lateness: number[] = [];
  const seen = new Set<string>();
  const worstByFire = new Map<number, number>();
  let duplicates = 0;
  for (const task of tasks) {
    const fireMs = task.scheduleFireTime?.getTime();
    const createdMs = task.createdAt?.getTime();
    if (fireMs === undefined || createdMs === undefined || fireMs < windowStartMs || fireMs >= windowEndMs) continue;
    const key = `${task.schedule} ${fireMs}`;
    if (seen.has(key)) duplicates += 1;
    seen.add(key);
    lateness.push(createdMs - fireMs);
    worstByFire.set(fireMs, Math.max(worstByFire.get(fireMs) ?? -Infinity, createdMs - fireMs));
  }
  lateness.sort((a, b) => a - b);
  const expected = SCHEDULES * (RUN_MS / INTERVAL_MS);
  console.log(
    `    fires with a fire time in the window: ${lateness.length} of ${expected} expected (${expected - seen.size} missing, ${duplicates} duplicates); ` +
      `lateness (created_at - schedule_fire_time): p50 ${percentile(lateness, 50)} ms, p90 ${percentile(lateness, 90)} ms, p99 ${percentile(lateness, 99)} ms, max ${lateness[lateness.length - 1] ?? NaN} ms`,
  );
  // Few distinct fire times: the aligned load. Each one's worst is how long its burst took to submit.
  if (worstByFire.size <= 20) {
    const worst = [...worstByFire.entries()].sort((a, b) => a[0] - b[0]).map(([, ms]) => `${ms}`);
    console.log(`    last task of each fire time created after (ms): ${worst.join(', ')}`);
  }
}

/** SIGTERM, then a fresh process on the same data directory, timed to /readyz 200. */
async function restart(group: ProcessGroup, first: CoordinatorHandle): Promise<TimedStartUp> {
  const stopping = performance.now();
  await first.process.stop(60_000);
  const stoppedMs = performance.now() - stopping;
  const again = await startTimed(group, first.dataDir, COORDINATOR_ARGS);
  const { lines } = again.coordinator.process;
  const loaded = lines.find((l) => l.msg === 'schedules loaded');
  const listening = lines.findIndex((l) => l.msg === 'coordinator listening');
  // Fire times that passed while it was down are due at once: their fires run before it listens.
  const firedBefore = lines.slice(0, listening).filter((l) => l.msg === 'schedule fired').length;
  console.log(
    `    restart: SIGTERM to exit ${seconds(stoppedMs)}; spawn to /readyz 200 in ${seconds(again.readyMs)} (${again.steps}; ` +
      `${typeof loaded?.schedules === 'number' ? loaded.schedules : '?'} schedules loaded, ${firedBefore} fires before listening); ` +
      describeMemory(processMemory(again.coordinator.process.pid)),
  );
  return again;
}
