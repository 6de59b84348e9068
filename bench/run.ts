/**
 * `make bench`: end-to-end figures on real processes (a coordinator on a temp dir, worker
 * processes, a client in this process). By default: Baton beside BullMQ (bench/compare/,
 * which writes its own section of bench/RESULTS.md), then redelivery, heartbeats, security,
 * tracing and flow, which print tables; copy those figures into bench/RESULTS.md with the date and the machine.
 *
 *   BENCH_TASKS=20000 BENCH_WORKERS=2 BENCH_CONCURRENCY=64 make bench
 *   node --import tsx bench/run.ts compare       (or redelivery, heartbeats, security, tracing): one part only
 *   node --import tsx bench/run.ts throughput    Baton alone, sync full and normal (bench/compare-revisions.sh runs it)
 *   node --import tsx bench/run.ts flow          rate-limited queues beside unlimited ones (issue 9; ~1 minute)
 *   node --import tsx bench/run.ts cron          10,000 schedules firing (issue 9; ~3 minutes, mostly waiting:
 *                                                not in the default run, like the scale parts)
 */
import { join } from 'node:path';
import { BatonClient } from '../client/index';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../test/support/processes';
import { benchCompare } from './compare/compare';
import { benchCron } from './cron';
import { benchFlow } from './flow';
import { benchHeartbeats } from './heartbeats';
import { benchRedelivery } from './redelivery';
import { SCALE_PARTS } from './scale';
import { benchSecurity } from './security';
import { WORKLOAD } from './support';
import { benchTracing } from './tracing';

const { tasks: TASKS, workers: WORKERS, concurrency: CONCURRENCY, batch: BATCH, handlers: HANDLERS } = WORKLOAD;
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);

async function finishedCount(coordinator: CoordinatorHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${coordinator.httpPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^baton_tasks_finished_total\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

async function waitForFinished(coordinator: CoordinatorHandle, target: number): Promise<void> {
  while ((await finishedCount(coordinator)) < target) await new Promise((resolve) => setTimeout(resolve, 20));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function throughput(coordinator: CoordinatorHandle, client: BatonClient, sync: string): Promise<void> {
  const started = performance.now();
  let submittedAt = 0;
  const batches: Array<Promise<unknown>> = [];
  for (let sent = 0; sent < TASKS; sent += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, TASKS - sent) }, () => ({ type: 'noop', payload: null }));
    batches.push(client.submitMany(items));
    if (batches.length >= 8) await batches.shift();
  }
  await Promise.all(batches);
  submittedAt = performance.now();
  await waitForFinished(coordinator, TASKS);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `throughput (sync=${sync}): ${TASKS} no-op tasks, ${WORKERS} workers x ${CONCURRENCY}: ` +
      `submit ${(TASKS / ((submittedAt - started) / 1000)).toFixed(0)} tasks/s, ` +
      `submit-to-completion ${(TASKS / seconds).toFixed(0)} tasks/s (${seconds.toFixed(2)} s)`,
  );
}

async function latency(client: BatonClient): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    const { task } = await client.submit('noop', null);
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    const startedAt = done.attempts[0]?.startedAt?.getTime();
    if (startedAt !== undefined && task.createdAt) samples.push(startedAt - task.createdAt.getTime());
  }
  samples.sort((a, b) => a - b);
  console.log(
    `latency at low load: submit-to-start over ${samples.length} sequential tasks: ` +
      `p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms, max ${samples[samples.length - 1]} ms`,
  );
}

/** The comparison; the first SIGINT or SIGTERM stops it after cleaning up, a second exits at once. */
async function compareUntilSignalled(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    console.error(`${signal}: stopping once the run in progress is cleaned up (again to force)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await benchCompare(process.argv.slice(2), controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function everyPart(): Promise<void> {
  await compareUntilSignalled();
  await benchRedelivery();
  await benchHeartbeats();
  await benchSecurity();
  await benchTracing();
  await benchFlow();
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only === undefined) return everyPart();
  if (only === 'compare') return compareUntilSignalled();
  if (only === 'redelivery') return benchRedelivery();
  if (only === 'heartbeats') return benchHeartbeats();
  if (only === 'security') return benchSecurity();
  if (only === 'tracing') return benchTracing();
  if (only === 'flow') return benchFlow();
  if (only === 'cron') return benchCron();
  const scalePart = Object.hasOwn(SCALE_PARTS, only) ? SCALE_PARTS[only] : undefined;
  if (scalePart) return scalePart();
  if (only !== 'throughput' && only !== 'throughput-only') {
    const parts = ['compare', 'throughput', 'redelivery', 'heartbeats', 'security', 'tracing', 'flow', 'cron', ...Object.keys(SCALE_PARTS)];
    throw new Error(`unknown part "${only}"; the parts are: ${parts.join(', ')}`);
  }
  console.log(`node ${process.version}; ${TASKS} tasks, batches of ${BATCH}`);
  for (const sync of ['full', 'normal']) {
    const group = new ProcessGroup();
    try {
      const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-'), 'data'), args: ['--sync', sync] });
      await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: HANDLERS, concurrency: CONCURRENCY })));
      const client = new BatonClient({ address: coordinator.address });
      await throughput(coordinator, client, sync);
      if (sync === 'full') await latency(client);
      client.close();
    } finally {
      await group.cleanup();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
