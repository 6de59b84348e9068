/**
 * What tracing costs: end-to-end throughput (first submit to last completion, no-op tasks,
 * workers connected) with tracing off, on at 100 % sampling and on at 1 %
 * (`parentbased_traceidratio`), side by side in one run, alternating, every process of the
 * system (producer, coordinator, workers) exporting OTLP http/protobuf to a receiver that
 * reads and discards. Prints medians with min–max and each mode's ratio to "off".
 *
 *   node --import tsx bench/run.ts tracing      (BENCH_TASKS, BENCH_WORKERS, BENCH_CONCURRENCY, BENCH_REPS)
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '../test/support/otlp-receiver';
import { ProcessGroup, REPO_ROOT, startCoordinator, startWorker } from '../test/support/processes';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const HANDLERS = join(__dirname, 'handlers.cjs');

interface Mode {
  readonly name: string;
  readonly env: (endpoint: string) => Record<string, string>;
}

const OFF: Record<string, string> = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '', OTEL_TRACES_SAMPLER: '', OTEL_TRACES_SAMPLER_ARG: '', OTEL_SDK_DISABLED: '' };
const MODES: readonly Mode[] = [
  { name: 'off', env: () => OFF },
  { name: 'on, 100 %', env: (endpoint) => ({ ...OFF, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' }) },
  { name: 'on, 1 %', env: (endpoint) => ({ ...OFF, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' }) },
];

async function runOnce(mode: Mode): Promise<{ tasksPerSecond: number; spanBytes: number }> {
  const receiver = await startOtlpReceiver('http/protobuf', { decode: false });
  const group = new ProcessGroup();
  try {
    const env = mode.env(receiver.endpoint);
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-'), 'data'), args: ['--sync', 'normal'], env });
    await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: HANDLERS, concurrency: CONCURRENCY, env })));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'traced-producer.ts'), coordinator.address, String(coordinator.httpPort), String(TASKS), String(BATCH)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    const { seconds } = JSON.parse(stdout) as { seconds: number };
    await group.cleanup(); // flushes every process's spans before the receiver's count is read
    return { tasksPerSecond: TASKS / seconds, spanBytes: receiver.bytes };
  } finally {
    await group.cleanup();
    await receiver.close();
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function benchTracing(): Promise<void> {
  console.log(`tracing overhead: ${TASKS} no-op tasks end to end (batches of ${BATCH}), ${WORKERS} workers x ${CONCURRENCY}, --sync normal, ${REPS} alternating repetitions`);
  const results = new Map<string, Array<{ tasksPerSecond: number; spanBytes: number }>>(MODES.map((mode) => [mode.name, []]));
  for (let rep = 0; rep < REPS; rep += 1) {
    for (const mode of MODES) results.get(mode.name)?.push(await runOnce(mode));
  }
  const offMedian = median((results.get('off') ?? []).map((r) => r.tasksPerSecond));
  for (const mode of MODES) {
    const runs = results.get(mode.name) ?? [];
    const rates = runs.map((r) => r.tasksPerSecond);
    const med = median(rates);
    const kb = median(runs.map((r) => r.spanBytes)) / 1024;
    console.log(
      `  tracing ${mode.name.padEnd(10)} ${med.toFixed(0).padStart(6)} tasks/s (min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)})` +
        `  ${(med / offMedian).toFixed(3)} x off  OTLP sent ${kb.toFixed(0)} KiB`,
    );
  }
}
