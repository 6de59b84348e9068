/**
 * Part `queued`: a big backlog. Submits BENCH_QUEUED (default 1,000,000) ~100-byte tasks in
 * SubmitTasks calls of BENCH_QUEUED_BATCH (10,000), BENCH_QUEUED_IN_FLIGHT (4) at a time, to a
 * `--sync normal` coordinator with no worker connected; reports the submit rate and the
 * coordinator's memory. Then SIGKILLs it, starts it again on the same data directory and
 * reports the time from spawn to /readyz answering 200, with the start-up's steps from its
 * log, and the memory after recovery. Last, two workers × 64 no-op slots connect and the
 * dispatch rate of the first BENCH_QUEUED_DISPATCH (100,000) tasks is measured while the rest
 * wait.
 *
 * BENCH_QUEUED_HEAP_SNAPSHOT=1 also writes a heap snapshot of the coordinator after the
 * submissions into a temp dir of its own that is kept (its path is printed; delete it after
 * reading) — use it at small sizes.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonClient } from '../client/index';
import { ProcessGroup, spawnBaton, startCoordinator, startWorker, type BatonProcess, type CoordinatorHandle } from '../test/support/processes';
import {
  describeMemory,
  finishedCount,
  freePort,
  paddedPayload,
  processMemory,
  rate,
  seconds,
  submitInBatches,
  waitForFinished,
  waitUntilReady,
} from './scale-support';
import { sleepMs, WORKLOAD } from './support';

const QUEUED = Number(process.env.BENCH_QUEUED ?? 1_000_000);
const BATCH = Number(process.env.BENCH_QUEUED_BATCH ?? 10_000);
const IN_FLIGHT = Number(process.env.BENCH_QUEUED_IN_FLIGHT ?? 4);
const DISPATCHED = Math.min(QUEUED, Number(process.env.BENCH_QUEUED_DISPATCH ?? 100_000));
const HEAP_SNAPSHOT = process.env.BENCH_QUEUED_HEAP_SNAPSHOT === '1';
const WORKERS = 2;
const CONCURRENCY = 64;
const SETTLE_MS = 5000;
/** The default limit on unfinished tasks is 1,000,000: raised only when the backlog is bigger. */
const DEFAULT_MAX_QUEUED = 1_000_000;

function coordinatorArgs(): string[] {
  const limit = String(Math.max(DEFAULT_MAX_QUEUED, QUEUED));
  return ['--sync', 'normal', '--max-queued-tasks', limit, '--max-queued-tasks-per-queue', limit];
}

/** Milliseconds from `spawnWallMs` to each start-up line of the coordinator's log (its ISO `time`). */
function startUpSteps(proc: BatonProcess, spawnWallMs: number): string {
  const steps: Array<[string, string]> = [
    ['coordinator starting', 'node up'],
    ['task store opened', 'store open'],
    ['engine started', 'queues rebuilt'],
    ['coordinator listening', 'listening'],
  ];
  return steps
    .map(([msg, label]) => {
      const line = proc.lines.find((l) => l.msg === msg);
      const at = typeof line?.time === 'string' ? Date.parse(line.time) : NaN; // pino's isoTime
      return Number.isNaN(at) ? `${label} ?` : `${label} +${at - spawnWallMs} ms`;
    })
    .join(', ');
}

async function submitBacklog(coordinator: CoordinatorHandle, client: BatonClient): Promise<void> {
  const started = performance.now();
  await submitInBatches(client, QUEUED, (i) => ({ type: 'noop', payload: paddedPayload(i) }), { batch: BATCH, inFlight: IN_FLIGHT });
  const ms = performance.now() - started;
  const pid = coordinator.process.pid;
  console.log(`  submit: ${QUEUED} tasks in ${seconds(ms)}: ${rate(QUEUED, ms)} (batches of ${BATCH}, ${IN_FLIGHT} in flight)`);
  console.log(`  coordinator after the submissions: ${describeMemory(processMemory(pid))}`);
  await sleepMs(SETTLE_MS);
  console.log(`  coordinator ${SETTLE_MS / 1000} s later, idle: ${describeMemory(processMemory(pid))}`);
}

async function heapSnapshot(coordinator: CoordinatorHandle, dir: string): Promise<void> {
  coordinator.process.signal('SIGUSR2');
  await sleepMs(500);
  // Node writes the snapshot on the main thread: once the HTTP port answers again, it is done.
  const response = await fetch(`http://127.0.0.1:${coordinator.httpPort}/healthz`, { signal: AbortSignal.timeout(600_000) });
  await response.arrayBuffer();
  const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
  console.log(file ? `  heap snapshot: ${join(dir, file)} (kept: delete ${dir} when done)` : '  heap snapshot: none written');
}

/** SIGKILL, then a fresh process on the same data directory; resolves once /readyz says 200. */
async function killAndRecover(group: ProcessGroup, first: CoordinatorHandle): Promise<CoordinatorHandle> {
  await first.process.kill();
  const httpPort = await freePort();
  const spawnWallMs = Date.now();
  const spawned = performance.now();
  const proc = group.add(spawnBaton(['coordinator', '--listen', '127.0.0.1:0', '--http', `127.0.0.1:${httpPort}`, '--data', first.dataDir, ...coordinatorArgs()], 'coordinator'));
  const readyAt = await waitUntilReady(httpPort, 600_000);
  const line = await proc.waitForLog((l) => l.msg === 'coordinator listening', 'coordinator listening');
  const engine = proc.lines.find((l) => l.msg === 'engine started');
  console.log(
    `  after SIGKILL: spawn to /readyz 200 in ${seconds(readyAt - spawned)} (${startUpSteps(proc, spawnWallMs)}; ` +
      `${typeof engine?.unfinished === 'number' ? engine.unfinished : '?'} unfinished tasks rebuilt)`,
  );
  console.log(`  coordinator when ready: ${describeMemory(processMemory(proc.pid))}`);
  await sleepMs(SETTLE_MS);
  console.log(`  coordinator ${SETTLE_MS / 1000} s later, idle: ${describeMemory(processMemory(proc.pid))}`);
  const port = line.grpc_port as number;
  return { process: proc, address: `127.0.0.1:${port}`, port, httpPort, dataDir: first.dataDir };
}

async function dispatchRate(group: ProcessGroup, coordinator: CoordinatorHandle): Promise<void> {
  const spawned = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: WORKLOAD.handlers, concurrency: CONCURRENCY })));
  const connected = performance.now();
  const head = await finishedCount(coordinator);
  const done = await waitForFinished(coordinator, DISPATCHED, 600_000, 50);
  const finished = await finishedCount(coordinator);
  console.log(
    `  dispatch of the first ${DISPATCHED} (${QUEUED - DISPATCHED} more waiting): ${WORKERS} workers x ${CONCURRENCY} ran ${finished - head} at ${rate(finished - head, done - connected)} ` +
      `once both were connected (${head} ran before the second connected; first ${DISPATCHED} in ${seconds(done - spawned)} from spawning the workers)`,
  );
  console.log(`  coordinator after dispatching: ${describeMemory(processMemory(coordinator.process.pid))}`);
}

export async function benchQueued(): Promise<void> {
  console.log(`queued: ${QUEUED} tasks of ~100 bytes, --sync normal, no workers while submitting`);
  const group = new ProcessGroup();
  try {
    const dir = group.tempDir('baton-bench-queued-');
    const diagnostics = HEAP_SNAPSHOT ? mkdtempSync(join(tmpdir(), 'baton-bench-heap-')) : undefined;
    const coordinator = await startCoordinator(group, {
      dataDir: join(dir, 'data'),
      args: coordinatorArgs(),
      nodeArgs: diagnostics ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${diagnostics}`] : [],
    });
    console.log(`  coordinator empty: ${describeMemory(processMemory(coordinator.process.pid))}`);
    const client = new BatonClient({ address: coordinator.address, callTimeoutMs: 300_000 });
    try {
      await submitBacklog(coordinator, client);
    } finally {
      client.close();
    }
    if (diagnostics) await heapSnapshot(coordinator, diagnostics);
    const recovered = await killAndRecover(group, coordinator);
    await dispatchRate(group, recovered);
  } finally {
    await group.cleanup();
  }
}
