/**
 * Part `failure`: throughput while workers crash. End to end, BENCH_FAILURE_TASKS (default
 * 20,000) ~100-byte no-op tasks over 3 workers × 64, once undisturbed and once while a
 * worker is SIGKILLed every BENCH_FAILURE_KILL_EVERY_MS (3,000 ms, the first kill one period
 * after the first submit) and a fresh one started in its place at once; the victim is always
 * the longest-running worker, so the three take turns. Each run has a coordinator of its own
 * (`--sync normal`, default lease timeout unless BENCH_FAILURE_LEASE_TIMEOUT_MS is set; the
 * heartbeat interval is then a fifth of it).
 *
 * Reported side by side: tasks lost (every submitted task must end SUCCEEDED: lost = submitted
 * − succeeded, with DEAD ones named), tasks run more than once (every handler start is recorded
 * by recording-handlers.cjs in a per-process file, written before the handler returns, so it
 * survives the kill), and the rate, first submit to last completion.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleepUntilAborted } from 'node:timers/promises';
import { BatonClient } from '../client/index';
import type { QueueStats } from '../shared/gen/baton/v1/stats';
import { ProcessGroup, startCoordinator, startWorker, type BatonProcess } from '../test/support/processes';
import { paddedPayload, RECORDING_HANDLERS, readRunLogs, seconds, submitInBatches, waitForFinished } from './scale-support';

const TASKS = Number(process.env.BENCH_FAILURE_TASKS ?? 20_000);
const KILL_EVERY_MS = Number(process.env.BENCH_FAILURE_KILL_EVERY_MS ?? 3000);
const LEASE_TIMEOUT_MS = process.env.BENCH_FAILURE_LEASE_TIMEOUT_MS === undefined ? undefined : Number(process.env.BENCH_FAILURE_LEASE_TIMEOUT_MS);
const WORKERS = 3;
const CONCURRENCY = 64;

interface RunFigures {
  readonly seconds: number;
  readonly rate: number;
  readonly kills: number;
  readonly succeeded: number;
  readonly dead: number;
  readonly neverStarted: number;
  readonly runTwice: number;
  readonly handlerStarts: number;
  readonly maxStartsOfOneTask: number;
}

function coordinatorArgs(): string[] {
  const args = ['--sync', 'normal'];
  if (LEASE_TIMEOUT_MS !== undefined) args.push('--lease-timeout', `${LEASE_TIMEOUT_MS}ms`, '--heartbeat-interval', `${Math.round(LEASE_TIMEOUT_MS / 5)}ms`);
  return args;
}

/** Every KILL_EVERY_MS, SIGKILLs the oldest of `workers` and starts a new one in its place. */
async function killLoop(signal: AbortSignal, startReplacement: () => Promise<BatonProcess>, workers: BatonProcess[]): Promise<number> {
  let kills = 0;
  let nextKillAt = performance.now() + KILL_EVERY_MS;
  while (!signal.aborted) {
    try {
      await sleepUntilAborted(Math.max(0, nextKillAt - performance.now()), undefined, { signal });
    } catch {
      break; // aborted: the run is over
    }
    nextKillAt += KILL_EVERY_MS;
    const victim = workers.shift();
    if (victim) await victim.kill();
    kills += 1;
    workers.push(await startReplacement());
  }
  return kills;
}

/** What the run's ids, the handlers' run logs and the queue's counts say. */
function figures(ids: readonly string[], runLogs: string, queue: QueueStats | undefined, secondsTaken: number, kills: number): RunFigures {
  const startsPerTask = new Map<string, number>();
  for (const start of readRunLogs(runLogs)) startsPerTask.set(start.taskId, (startsPerTask.get(start.taskId) ?? 0) + 1);
  const counts = ids.map((id) => startsPerTask.get(id) ?? 0);
  return {
    seconds: secondsTaken,
    rate: ids.length / secondsTaken,
    kills,
    succeeded: Number(queue?.succeeded ?? 0),
    dead: Number(queue?.dead ?? 0),
    neverStarted: counts.filter((c) => c === 0).length,
    runTwice: counts.filter((c) => c > 1).length,
    handlerStarts: counts.reduce((a, b) => a + b, 0),
    maxStartsOfOneTask: counts.reduce((a, b) => Math.max(a, b), 0),
  };
}

async function run(withKills: boolean): Promise<RunFigures> {
  const group = new ProcessGroup();
  try {
    const dir = group.tempDir('baton-bench-failure-');
    const runLogs = join(dir, 'runs');
    mkdirSync(runLogs);
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: coordinatorArgs() });
    const startOne = (): Promise<BatonProcess> =>
      startWorker(group, coordinator.address, { module: RECORDING_HANDLERS, concurrency: CONCURRENCY, env: { BENCH_RUN_LOG_DIR: runLogs } });
    const workers = await Promise.all(Array.from({ length: WORKERS }, startOne));
    const client = new BatonClient({ address: coordinator.address, callTimeoutMs: 60_000 });
    const stopKilling = new AbortController();
    try {
      const started = performance.now();
      const killing = withKills ? killLoop(stopKilling.signal, startOne, workers) : Promise.resolve(0);
      killing.catch(() => undefined); // awaited below; a failed restart must not go unhandled meanwhile
      const ids = await submitInBatches(client, TASKS, (i) => ({ type: 'noop', payload: paddedPayload(i) }), { batch: 500, inFlight: 8 });
      const ended = await waitForFinished(coordinator, TASKS, 600_000);
      stopKilling.abort();
      const kills = await killing;

      const stats = await client.stats();
      return figures(ids, runLogs, stats.queues.find((q) => q.queue === 'default'), (ended - started) / 1000, kills);
    } finally {
      stopKilling.abort();
      client.close();
    }
  } finally {
    await group.cleanup();
  }
}

export async function benchFailure(): Promise<void> {
  const lease = LEASE_TIMEOUT_MS === undefined ? 'default lease timeout' : `lease timeout ${LEASE_TIMEOUT_MS} ms`;
  console.log(`failure: ${TASKS} tasks, ${WORKERS} workers x ${CONCURRENCY}, one SIGKILLed and replaced every ${KILL_EVERY_MS} ms; --sync normal, ${lease}`);
  const calm = await run(false);
  const rough = await run(true);
  const rows: Array<[string, (f: RunFigures) => string]> = [
    ['workers killed', (f) => String(f.kills)],
    ['first submit to last completion', (f) => seconds(f.seconds * 1000)],
    ['rate', (f) => `${f.rate.toFixed(0)} tasks/s`],
    ['succeeded', (f) => String(f.succeeded)],
    ['lost (not succeeded)', (f) => `${TASKS - f.succeeded}${f.dead > 0 ? ` (${f.dead} DEAD)` : ''}`],
    ['never started', (f) => String(f.neverStarted)],
    ['run more than once', (f) => String(f.runTwice)],
    ['handler starts', (f) => `${f.handlerStarts} (most for one task: ${f.maxStartsOfOneTask})`],
  ];
  console.log(`  ${''.padEnd(34)}${'no kills'.padEnd(34)}kills`);
  for (const [label, show] of rows) console.log(`  ${label.padEnd(34)}${show(calm).padEnd(34)}${show(rough)}`);
  console.log(`  rate kept under kills: ${((rough.rate / calm.rate) * 100).toFixed(0)}%`);
}
