/**
 * Helpers of the scale and failure parts (scale-*.ts, failure.ts): process memory from
 * /proc, a free port, /readyz polling, bulk submission with several batches in flight,
 * waiting on the coordinator's finished counter, and the run logs that
 * recording-handlers.cjs writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatonClient, SubmitItem } from '../client/index';
import type { CoordinatorHandle } from '../test/support/processes';
import { metricSum, sleepMs } from './support';
export { freePort } from './support';

/** Handlers whose `noop` records each start (task id, attempt, wall-clock ms) in BENCH_RUN_LOG_DIR. */
export const RECORDING_HANDLERS = join(__dirname, 'recording-handlers.cjs');

/** Memory figures of a process from /proc/PID/status, in bytes. */
export interface ProcessMemory {
  readonly rss: number;
  /** Peak RSS over the process's life. */
  readonly hwm: number;
  /** Heap, stacks and other private memory. */
  readonly rssAnon: number;
  /** Mapped files (the SQLite file if mmapped, code). */
  readonly rssFile: number;
}

export function processMemory(pid: number): ProcessMemory {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), rssAnon: kib('RssAnon'), rssFile: kib('RssFile') };
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function describeMemory(memory: ProcessMemory): string {
  return `VmRSS ${mib(memory.rss)} (anon ${mib(memory.rssAnon)}, file ${mib(memory.rssFile)}), VmHWM ${mib(memory.hwm)}`;
}


/** Polls /readyz until it answers 200; resolves with performance.now() at that answer. */
export async function waitUntilReady(httpPort: number, timeoutMs: number, pollMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    await sleepMs(pollMs);
  }
  throw new Error(`/readyz on port ${httpPort} did not answer 200 within ${timeoutMs} ms`);
}

/** A JSON payload of about `bytes` bytes once encoded. */
export function paddedPayload(n: number, bytes = 100): { n: number; pad: string } {
  const overhead = JSON.stringify({ n, pad: '' }).length;
  return { n, pad: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

/**
 * Submits `count` tasks made by `item(i)` in SubmitTasks calls of `batch`, `inFlight` calls
 * at a time. Resolves with the task ids in submission order.
 */
export async function submitInBatches(
  client: BatonClient,
  count: number,
  item: (i: number) => SubmitItem,
  { batch, inFlight }: { readonly batch: number; readonly inFlight: number },
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  const pending = new Set<Promise<void>>();
  for (let first = 0; first < count; first += batch) {
    const items = Array.from({ length: Math.min(batch, count - first) }, (_, k) => item(first + k));
    const call: Promise<void> = client.submitMany(items).then((results) => {
      results.forEach((result, k) => (ids[first + k] = result.task.id));
      pending.delete(call);
    });
    pending.add(call);
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  return ids;
}

/** Tasks that reached a terminal state, from the coordinator's counter. */
export const finishedCount = (coordinator: CoordinatorHandle): Promise<number> => metricSum(coordinator, 'baton_tasks_finished_total');

/** Waits until the finished counter reaches `target`; resolves with performance.now() then. */
export async function waitForFinished(coordinator: CoordinatorHandle, target: number, timeoutMs: number, pollMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let seen = 0;
  while ((seen = await finishedCount(coordinator)) < target) {
    if (performance.now() > deadline) throw new Error(`only ${seen} of ${target} tasks finished within ${timeoutMs} ms`);
    await sleepMs(pollMs);
  }
  return performance.now();
}

/**
 * End to end: submits `tasks` no-op tasks (batches of `batch`, 8 in flight, as run.ts does)
 * to workers already connected and waits until they have all finished.
 * @returns tasks per second from the first submit to the last completion.
 */
export async function endToEndRate(
  coordinator: CoordinatorHandle,
  client: BatonClient,
  tasks: number,
  { batch = 500, inFlight = 8, type = 'noop', timeoutMs = 600_000 }: { batch?: number; inFlight?: number; type?: string; timeoutMs?: number } = {},
): Promise<{ rate: number; seconds: number }> {
  const before = await finishedCount(coordinator);
  const started = performance.now();
  await submitInBatches(client, tasks, (i) => ({ type, payload: paddedPayload(i) }), { batch, inFlight });
  const ended = await waitForFinished(coordinator, before + tasks, timeoutMs);
  const seconds = (ended - started) / 1000;
  return { rate: tasks / seconds, seconds };
}

/** One handler start as recording-handlers.cjs wrote it. */
export interface RecordedStart {
  readonly taskId: string;
  readonly attempt: number;
  /** Wall-clock milliseconds (fractional) when the handler began. */
  readonly atMs: number;
  readonly pid: number;
}

/** Every handler start recorded in `dir` (one file per worker process). */
export function readRunLogs(dir: string): RecordedStart[] {
  const starts: RecordedStart[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.log')) continue;
    const pid = Number(file.slice(0, -'.log'.length));
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [taskId, attempt, atMs] = line.split(' ');
      // A process killed mid-write can leave a torn last line: it has no time.
      if (taskId && attempt && atMs) starts.push({ taskId, attempt: Number(attempt), atMs: Number(atMs), pid });
    }
  }
  return starts;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export const rate = (n: number, ms: number): string => `${(n / (ms / 1000)).toFixed(0)} tasks/s`;
