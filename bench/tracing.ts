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
import { WORKLOAD, cpuSeconds } from './support';

const { tasks: TASKS, workers: WORKERS, concurrency: CONCURRENCY, batch: BATCH, handlers: HANDLERS } = WORKLOAD;
const REPS = Number(process.env.BENCH_REPS ?? 3);

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

interface RunResult {
  readonly tasksPerSecond: number;
  readonly spanBytes: number;
  /** CPU seconds per 1,000 tasks, by process. */
  readonly cpu: { readonly producer: number; readonly coordinator: number; readonly workers: number };
}

async function runOnce(mode: Mode): Promise<RunResult> {
  const receiver = await startOtlpReceiver('http/protobuf', { decode: false });
  const group = new ProcessGroup();
  try {
    const env = mode.env(receiver.endpoint);
    // BENCH_PROFILE_DIR: a CPU profile of the coordinator and of each worker per run (Chrome DevTools opens them).
    const nodeArgs = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-'), 'data'), args: ['--sync', 'normal'], env, nodeArgs });
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: HANDLERS, concurrency: CONCURRENCY, env, nodeArgs })));
    const cpuBefore = { coordinator: cpuSeconds(coordinator.process.pid), workers: workers.reduce((sum, worker) => sum + cpuSeconds(worker.pid), 0) };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'traced-producer.ts'), coordinator.address, String(coordinator.httpPort), String(TASKS), String(BATCH)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    const { seconds, cpuSeconds: producerCpu } = JSON.parse(stdout) as { seconds: number; cpuSeconds: number };
    const perThousand = 1000 / TASKS;
    const cpu = {
      producer: producerCpu * perThousand,
      coordinator: (cpuSeconds(coordinator.process.pid) - cpuBefore.coordinator) * perThousand,
      workers: (workers.reduce((sum, worker) => sum + cpuSeconds(worker.pid), 0) - cpuBefore.workers) * perThousand,
    };
    await group.cleanup(); // flushes every process's spans before the receiver's count is read
    return { tasksPerSecond: TASKS / seconds, spanBytes: receiver.bytes, cpu };
  } finally {
    await group.cleanup();
    await receiver.close();
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function benchTracing(): Promise<void> {
  console.log(`tracing overhead: ${TASKS} no-op tasks end to end (batches of ${BATCH}), ${WORKERS} workers x ${CONCURRENCY}, --sync normal, ${REPS} alternating repetitions`);
  const results = new Map<string, RunResult[]>(MODES.map((mode) => [mode.name, []]));
  // BENCH_TRACING_MODES=off,1%: only some modes (for profiling one).
  const only = process.env.BENCH_TRACING_MODES?.split(',').map((name) => name.trim());
  const modes = MODES.filter((mode) => !only || only.some((name) => mode.name.replace(/ /g, '').endsWith(name.replace(/ /g, ''))));
  for (let rep = 0; rep < REPS; rep += 1) {
    for (const mode of modes) results.get(mode.name)?.push(await runOnce(mode));
  }
  const offMedian = median((results.get('off') ?? []).map((r) => r.tasksPerSecond));
  for (const mode of modes) {
    const runs = results.get(mode.name) ?? [];
    const rates = runs.map((r) => r.tasksPerSecond);
    const med = median(rates);
    const kb = median(runs.map((r) => r.spanBytes)) / 1024;
    console.log(
      `  tracing ${mode.name.padEnd(10)} ${med.toFixed(0).padStart(6)} tasks/s (min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)})` +
        `  ${(med / offMedian).toFixed(3)} x off  OTLP sent ${kb.toFixed(0)} KiB` +
        `  CPU ms per 1,000 tasks: producer ${(median(runs.map((r) => r.cpu.producer)) * 1000).toFixed(0)},` +
        ` coordinator ${(median(runs.map((r) => r.cpu.coordinator)) * 1000).toFixed(0)}, workers ${(median(runs.map((r) => r.cpu.workers)) * 1000).toFixed(0)}`,
    );
  }
}
