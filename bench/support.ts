import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoordinatorHandle } from '../test/support/processes';

/** The end-to-end workload every part of `make bench` shares, from BENCH_* variables. */
export const WORKLOAD = {
  tasks: Number(process.env.BENCH_TASKS ?? 20_000),
  workers: Number(process.env.BENCH_WORKERS ?? 2),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
  /** Tasks per SubmitTasks call, 8 calls in flight. */
  batch: Number(process.env.BENCH_BATCH ?? 500),
  /** The no-op handlers. */
  handlers: join(__dirname, 'handlers.cjs'),
} as const;

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

export async function metricSum(coordinator: Pick<CoordinatorHandle, 'httpPort'>, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${coordinator.httpPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) total += Number(match[1]);
  return total;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port that was free a moment ago (for a process that must listen where we expect it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
