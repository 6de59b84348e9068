/**
 * Part `flow` (issue 9): what flow control costs the queues it does not limit. Two worker
 * processes × 64 no-op slots serve six queues; a `--sync normal` coordinator on a temp dir.
 *
 * - Case A, the baseline: the six queues have no limits; BENCH_FLOW_TASKS (20,000) ~100-byte
 *   tasks are spread over all six, and timed from the first submit to the last completion,
 *   after BENCH_FLOW_WARMUP (10,000) tasks run the same way untimed.
 * - Case B: three of the queues get a rate limit by UpdateQueue (BENCH_FLOW_RATE per second,
 *   50, burst BENCH_FLOW_BURST, 50) and BENCH_FLOW_LIMITED_DEPTH (5,000) tasks each before the
 *   workers connect, so that they stay deep and every dispatch pass has to pass them over;
 *   the same numbers of tasks as in A (warm-up, then timed) are spread over the three
 *   unlimited queues and timed the same way (completions counted per queue from /metrics).
 *
 * Reported: B's throughput over A's; and for each limited queue, from its finished tasks'
 * attempt start times (when the coordinator granted each lease), whether the starts kept
 * to the token bucket. A and B alternate for BENCH_REPS (3) repetitions, the order rotating;
 * each run starts fresh (new data dir, coordinator and workers).
 *
 *   node --import tsx bench/run.ts flow
 */
import { join } from 'node:path';
import { BatonClient, type SubmitItem } from '../client/index';
import { TaskState } from '../shared/gen/baton/v1/task';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../test/support/processes';
import { spreadOf, type Spread } from './compare/spread';
import { startProfile, type StartProfile } from './flow-starts';
import { mapInFlight, RawTaskQueue } from './raw-task-queue';
import { paddedPayload, submitInBatches } from './scale-support';
import { sleepMs, WORKLOAD } from './support';

const TASKS = Number(process.env.BENCH_FLOW_TASKS ?? 20_000);
const LIMITED_DEPTH = Number(process.env.BENCH_FLOW_LIMITED_DEPTH ?? 5_000);
const RATE_PER_S = Number(process.env.BENCH_FLOW_RATE ?? 50);
const BURST = Number(process.env.BENCH_FLOW_BURST ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const WARMUP = Number(process.env.BENCH_FLOW_WARMUP ?? 10_000);
const WORKERS = 2;
const CONCURRENCY = 64;
/** After the warm-up and before the timed submissions. */
const SETTLE_MS = 1500;
const POLL_MS = 25;
const TIMEOUT_MS = 600_000;

const LIMITED = ['limited-1', 'limited-2', 'limited-3'] as const;
const OPEN = ['open-1', 'open-2', 'open-3'] as const;
/** The workers' queue list, limited and open interleaved, as a worker serving both would have it. */
const ALL = [LIMITED[0], OPEN[0], LIMITED[1], OPEN[1], LIMITED[2], OPEN[2]] as const;

type Case = 'A' | 'B';

interface CaseRun {
  readonly tasksPerS: number;
  readonly seconds: number;
  /** B only: starts per limited queue, and how many of all of them fell in the timed window. */
  readonly limited?: { readonly profiles: ReadonlyMap<string, StartProfile>; readonly startsInWindow: number };
}

export async function benchFlow(): Promise<void> {
  console.log(
    `flow: ${TASKS} no-op tasks timed, ${WORKERS} workers x ${CONCURRENCY} serving 6 queues, --sync normal, ${REPS} alternating repetitions; ` +
      `A: all 6 queues unlimited; B: ${LIMITED.length} of them at ${RATE_PER_S}/s (burst ${BURST}) holding ${LIMITED_DEPTH} tasks each, the timed tasks on the other ${OPEN.length}`,
  );
  const runs: Record<Case, CaseRun[]> = { A: [], B: [] };
  for (let rep = 0; rep < REPS; rep += 1) {
    const order: Case[] = rep % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const kind of order) runs[kind].push(await runCase(kind));
    const a = runs.A[rep] as CaseRun;
    const b = runs.B[rep] as CaseRun;
    console.log(
      `  rep ${rep + 1} (${order.join(' then ')}): A ${a.tasksPerS.toFixed(0)} tasks/s (${a.seconds.toFixed(2)} s), B ${b.tasksPerS.toFixed(0)} tasks/s (${b.seconds.toFixed(2)} s), ` +
        `B/A ${(b.tasksPerS / a.tasksPerS).toFixed(2)}; limited tasks started during B's timed window: ${b.limited?.startsInWindow ?? '?'}`,
    );
  }
  report(runs);
}

function report(runs: Record<Case, CaseRun[]>): void {
  const a = spreadOf(runs.A.map((r) => r.tasksPerS));
  const b = spreadOf(runs.B.map((r) => r.tasksPerS));
  const paired = spreadOf(runs.B.map((r, i) => r.tasksPerS / (runs.A[i]?.tasksPerS ?? NaN)));
  const bAll = spreadOf(runs.B.map(allTasksPerS));
  const pairedAll = spreadOf(runs.B.map((r, i) => allTasksPerS(r) / (runs.A[i]?.tasksPerS ?? NaN)));
  console.log(`  A, 6 unlimited queues:                   ${describe(a, 0)} tasks/s`);
  console.log(`  B, 3 unlimited beside 3 rate-limited:    ${describe(b, 0)} tasks/s of the unlimited queues; ${describe(bAll, 0)} counting the limited queues' starts in the window too`);
  console.log(`  B / A, unlimited queues only: ${a && b ? (b.median / a.median).toFixed(2) : '?'} (medians); per repetition ${describe(paired, 2)}`);
  console.log(`  B / A, all tasks started in B's window: ${a && bAll ? (bAll.median / a.median).toFixed(2) : '?'} (medians); per repetition ${describe(pairedAll, 2)}`);
  console.log(`  limited queues' starts (attempt started_at of their finished tasks; a conforming bucket: at most ${RATE_PER_S}/s sustained, ${RATE_PER_S + BURST} in any 1 s, excess <= ${BURST}):`);
  runs.B.forEach((run, rep) => {
    for (const [queue, p] of run.limited?.profiles ?? []) {
      const ok = p.worstExcess <= BURST + 1e-6 && p.maxInOneS <= RATE_PER_S + BURST;
      console.log(
        `    rep ${rep + 1} ${queue}: ${p.starts} starts over ${(p.spanMs / 1000).toFixed(1)} s, ${p.sustainedPerS.toFixed(1)}/s after the burst, ` +
          `most in 1 s ${p.maxInOneS}, worst excess ${p.worstExcess.toFixed(2)}: ${ok ? 'within the limit' : 'OVER THE LIMIT'}`,
      );
    }
  });
}

/** B's rate counting the limited queues' tasks that started within the timed window: the work the workers did. */
function allTasksPerS(run: CaseRun): number {
  return (TASKS + (run.limited?.startsInWindow ?? NaN)) / run.seconds;
}

function describe(spread: Spread | undefined, digits: number): string {
  if (!spread) return '?';
  return `${spread.median.toFixed(digits)} (${spread.min.toFixed(digits)}-${spread.max.toFixed(digits)})`;
}

async function runCase(kind: Case): Promise<CaseRun> {
  const group = new ProcessGroup();
  const timed: readonly string[] = kind === 'A' ? ALL : OPEN;
  try {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-flow-'), 'data'), args: ['--sync', 'normal'] });
    const raw = new RawTaskQueue(coordinator.address);
    const client = new BatonClient({ address: coordinator.address, callTimeoutMs: 120_000 });
    try {
      if (kind === 'B') await limitAndFill(raw, client);
      const queueArgs = ALL.flatMap((queue) => ['--queue', queue]);
      await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: WORKLOAD.handlers, concurrency: CONCURRENCY, args: queueArgs })));
      // Warm-up: the same work as the timed run, untimed, so that neither case is timed on cold code
      // (B's coordinator has taken in LIMITED_DEPTH × 3 submissions already).
      await submitAndWait(coordinator, client, timed, WARMUP);
      await sleepMs(SETTLE_MS);
      const windowStartMs = Date.now();
      const seconds = await submitAndWait(coordinator, client, timed, TASKS);
      const windowEndMs = Date.now();
      const run = { tasksPerS: TASKS / seconds, seconds };
      return kind === 'A' ? run : { ...run, limited: await limitedStarts(raw, windowStartMs, windowEndMs) };
    } finally {
      client.close();
      raw.close();
    }
  } finally {
    await group.cleanup();
  }
}

/** Case B's set-up: the rate limits, then LIMITED_DEPTH tasks in each limited queue. */
async function limitAndFill(raw: RawTaskQueue, client: BatonClient): Promise<void> {
  for (const name of LIMITED) {
    await raw.updateQueue({ name, settings: { concurrency: 0, rate: RATE_PER_S, burst: BURST, weight: 0, paused: false }, updateMask: ['rate', 'burst'] });
  }
  const count = LIMITED_DEPTH * LIMITED.length;
  await submitInBatches(client, count, (i) => ({ type: 'noop', payload: paddedPayload(i), options: { queue: LIMITED[i % LIMITED.length] as string } }), { batch: 500, inFlight: 8 });
}

/**
 * Submits `count` tasks spread over `queues` round robin (batches of 500, 8 in flight) and waits
 * until they have finished. @returns seconds from the first submit to the last completion.
 */
async function submitAndWait(coordinator: CoordinatorHandle, client: BatonClient, queues: readonly string[], count: number): Promise<number> {
  const before = await finishedIn(coordinator, queues);
  const started = performance.now();
  const item = (i: number): SubmitItem => ({ type: 'noop', payload: paddedPayload(i), options: { queue: queues[i % queues.length] as string } });
  await submitInBatches(client, count, item, { batch: 500, inFlight: 8 });
  const ended = await waitForQueues(coordinator, queues, before + count);
  return (ended - started) / 1000;
}

/** Waits until the tasks of `queues` that finished reach `target`; resolves with performance.now() then. */
async function waitForQueues(coordinator: CoordinatorHandle, queues: readonly string[], target: number): Promise<number> {
  const deadline = performance.now() + TIMEOUT_MS;
  let seen = 0;
  while ((seen = await finishedIn(coordinator, queues)) < target) {
    if (performance.now() > deadline) throw new Error(`only ${seen} of ${target} tasks finished within ${TIMEOUT_MS} ms`);
    await sleepMs(POLL_MS);
  }
  return performance.now();
}

/** baton_tasks_finished_total summed over the series of `queues`. */
async function finishedIn(coordinator: CoordinatorHandle, queues: readonly string[]): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${coordinator.httpPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^baton_tasks_finished_total\{([^}]*)\} (\S+)$/gm)) {
    const queue = /queue="([^"]*)"/.exec(match[1] ?? '')?.[1];
    if (queue !== undefined && queues.includes(queue)) total += Number(match[2]);
  }
  return total;
}

/** Every finished task of the limited queues, read back for its attempt's start. */
async function limitedStarts(raw: RawTaskQueue, windowStartMs: number, windowEndMs: number): Promise<NonNullable<CaseRun['limited']>> {
  const profiles = new Map<string, StartProfile>();
  let startsInWindow = 0;
  for (const queue of LIMITED) {
    const finished = await raw.listAll({ queue, state: TaskState.TASK_STATE_SUCCEEDED, type: '', schedule: '' });
    const startsMs = await mapInFlight(finished, 16, async (task) => (await raw.getTask({ id: task.id })).task?.attempts[0]?.startedAt?.getTime() ?? NaN);
    const known = startsMs.filter((ms) => !Number.isNaN(ms));
    startsInWindow += known.filter((ms) => ms >= windowStartMs && ms <= windowEndMs).length;
    profiles.set(queue, startProfile(known, RATE_PER_S, BURST));
  }
  return { profiles, startsInWindow };
}
