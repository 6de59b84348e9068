/**
 * The scenarios of the comparison, the same for every system. Each run starts the system
 * fresh (empty store, new processes), measures, reads the peak memory of its processes, and
 * stops it: so no run sees another's data and each peak belongs to one scenario.
 *
 * Completion is counted by asking the system (Baton: the coordinator's /metrics counter;
 * BullMQ: the sizes of the completed and failed sets) at gaps that shrink as the expected end
 * nears (see {@link waitForFinished}): a /metrics scrape costs the coordinator CPU, so asking
 * every 10 ms throughout would tax Baton more than a ZCARD taxes Redis.
 */
import { sleepMs } from '../support';
import { WARM_UP_TASKS, measureLatency, type LatencyFigures } from './latency';
import { readPeakRss, type PeakRss } from './peak-rss';
import type { System, SystemRun } from './system';
import { COMPARE } from './workload';

export interface RateFigures {
  readonly kind: 'rate';
  readonly tasks: number;
  /** Tasks over the scenario's interval (see its description). */
  readonly tasksPerSecond: number;
  readonly seconds: number;
  /** Tasks over first submit → last acknowledgement, where the scenario submits while workers run. */
  readonly submitPerSecond?: number;
  /**
   * Half the gap between the last poll that saw tasks unfinished and the one that saw none:
   * the end is taken in the middle of that gap, so it is off by at most this (plus a round trip).
   */
  readonly endResolutionMs: number;
}

export type Figures = RateFigures | (LatencyFigures & { readonly kind: 'latency' });

export interface Scenario {
  readonly id: string;
  /** As printed and in RESULTS.md. */
  readonly title: string;
  /** What is timed, for RESULTS.md. */
  readonly measures: string;
  /** Checks `signal` between steps and throws its reason once it aborts. */
  run(system: SystemRun, signal: AbortSignal): Promise<Figures>;
}

/** Gives up when the finished count has not moved for this long. */
const STALL_TIMEOUT_MS = 60_000;

/**
 * Resolves once `target` tasks have finished, with how long ago (ms) they did, at best guess:
 * half the last gap between polls, the middle of the interval the last completion fell in.
 * Each gap is a quarter of the time the remaining tasks should take at the faster of the rate
 * since the first poll and the rate since the previous one, within [pollMinMs, pollMaxMs]
 * (pollMinMs until a rate is known): a few dozen polls per run, ending with gaps near pollMinMs.
 */
async function waitForFinished(run: SystemRun, target: number, signal: AbortSignal): Promise<number> {
  let first: Sample | undefined;
  let previous: Sample | undefined;
  let movedAtMs = performance.now();
  let gapMs = 0;
  for (;;) {
    signal.throwIfAborted();
    const now: Sample = { finished: await run.finished(), atMs: performance.now() };
    if (now.finished >= target) return gapMs / 2;
    if (now.finished !== previous?.finished) movedAtMs = now.atMs;
    else if (now.atMs - movedAtMs > STALL_TIMEOUT_MS) throw new Error(`stalled at ${now.finished} of ${target} tasks finished`);
    first ??= now;
    const perMs = previous ? Math.max(rate(first, now), rate(previous, now)) : 0;
    const expectedMs = perMs > 0 ? (target - now.finished) / perMs : 0;
    gapMs = Math.min(COMPARE.pollMaxMs, Math.max(COMPARE.pollMinMs, expectedMs / 4));
    previous = now;
    await sleepMs(gapMs);
  }
}

/** A poll's answer: tasks finished, and when (performance.now()). */
interface Sample {
  readonly finished: number;
  readonly atMs: number;
}

/** Tasks per ms between two polls. */
const rate = (from: Sample, to: Sample): number => (to.atMs > from.atMs ? (to.finished - from.finished) / (to.atMs - from.atMs) : 0);

async function submitInBatches(run: SystemRun, tasks: number, signal: AbortSignal): Promise<void> {
  for (let first = 0; first < tasks; first += COMPARE.bulkBatch) {
    signal.throwIfAborted();
    await run.submitBatch(first, Math.min(COMPARE.bulkBatch, tasks - first));
  }
}

/** `lanes` producers in one process, each submitting its next task once the previous is acknowledged. */
async function submitStreaming(run: SystemRun, tasks: number, lanes: number, signal: AbortSignal): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks) {
      signal.throwIfAborted();
      await run.submitOne(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, tasks) }, lane));
}

function preFilled(workers: number): Scenario {
  const tasks = COMPARE.tasks;
  return {
    id: `prefilled-${workers}`,
    title: `pre-filled, ${workers} worker${workers > 1 ? 's' : ''} × ${COMPARE.concurrency}`,
    measures: `${tasks} tasks submitted in batches of ${COMPARE.bulkBatch} with no worker connected; then ${workers} worker process${workers > 1 ? 'es' : ''} start${workers > 1 ? '' : 's'}; tasks / (first worker taking tasks → last completion)`,
    async run(run, signal) {
      await submitInBatches(run, tasks, signal);
      const firstWorkerMs = await run.startWorkers(workers);
      const endResolutionMs = await waitForFinished(run, tasks, signal);
      const seconds = (Date.now() - endResolutionMs - firstWorkerMs) / 1000;
      return { kind: 'rate', tasks, seconds, tasksPerSecond: tasks / seconds, endResolutionMs };
    },
  };
}

/** Workers connected first, and warmed up by COMPARE.warmupTasks untimed tasks; first submit → last completion. */
function endToEnd(id: string, title: string, measures: string, tasks: number, submit: (run: SystemRun, signal: AbortSignal) => Promise<void>): Scenario {
  return {
    id,
    title,
    measures: COMPARE.warmupTasks > 0 ? `${measures}; after ${COMPARE.warmupTasks} untimed warm-up tasks in bulk` : measures,
    async run(run, signal) {
      await run.startWorkers(COMPARE.workers);
      const warmup = COMPARE.warmupTasks;
      if (warmup > 0) {
        await submitInBatches(run, warmup, signal);
        await waitForFinished(run, warmup, signal);
      }
      const startedMs = performance.now();
      await submit(run, signal);
      const submittedMs = performance.now();
      const endResolutionMs = await waitForFinished(run, warmup + tasks, signal);
      const seconds = (performance.now() - endResolutionMs - startedMs) / 1000;
      return { kind: 'rate', tasks, seconds, tasksPerSecond: tasks / seconds, submitPerSecond: tasks / ((submittedMs - startedMs) / 1000), endResolutionMs };
    },
  };
}

const workersText = `${COMPARE.workers} workers × ${COMPARE.concurrency} connected and idle`;

/** Every scenario, in the order they run within a repetition. */
export const SCENARIOS: readonly Scenario[] = [
  preFilled(1),
  preFilled(2),
  endToEnd(
    'bulk',
    'end to end, bulk',
    `${workersText}; ${COMPARE.tasks} tasks in bulk submits of ${COMPARE.bulkBatch}, each awaited before the next; tasks / (first submit → last completion)`,
    COMPARE.tasks,
    (run, signal) => submitInBatches(run, COMPARE.tasks, signal),
  ),
  endToEnd(
    'stream-1',
    'streaming, 1 submit in flight',
    `${workersText}; ${COMPARE.streamTasks} single submits, each awaited before the next; tasks / (first submit → last completion)`,
    COMPARE.streamTasks,
    (run, signal) => submitStreaming(run, COMPARE.streamTasks, 1, signal),
  ),
  endToEnd(
    'stream-64',
    `streaming, ${COMPARE.streamInFlight} submits in flight`,
    `${workersText}; ${COMPARE.tasks} single submits, ${COMPARE.streamInFlight} in flight; tasks / (first submit → last completion)`,
    COMPARE.tasks,
    (run, signal) => submitStreaming(run, COMPARE.tasks, COMPARE.streamInFlight, signal),
  ),
  {
    id: 'latency',
    title: 'latency at low load',
    measures: `${workersText}; ${COMPARE.latencyTasks} tasks one at a time (after ${WARM_UP_TASKS} unrecorded), each submitted once the previous was seen complete`,
    async run(run, signal) {
      await run.startWorkers(COMPARE.workers);
      return { kind: 'latency', ...(await measureLatency(run, COMPARE.latencyTasks, signal)) };
    },
  },
];

export interface ScenarioOutcome {
  readonly figures: Figures;
  readonly rss: PeakRss;
}

/** Starts `system` fresh, runs `scenario` on it, reads peak RSS, and stops it, even on failure. */
export async function runScenario(system: System, scenario: Scenario, signal: AbortSignal): Promise<ScenarioOutcome> {
  const run = await system.start();
  try {
    const figures = await scenario.run(run, signal);
    return { figures, rss: readPeakRss(run.pids()) };
  } finally {
    await run.close();
  }
}
