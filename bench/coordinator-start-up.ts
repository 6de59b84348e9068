/**
 * A coordinator spawned and timed to readiness: from spawn to /readyz answering 200, with the
 * start-up's steps as its own log lines place them (the cron part starts one empty, then
 * again on a data directory holding thousands of schedules).
 */
import { spawnBaton, type BatonProcess, type CoordinatorHandle, type ProcessGroup } from '../test/support/processes';
import { freePort, waitUntilReady } from './scale-support';

/** A coordinator that is ready, and how long it took. */
export interface TimedStartUp {
  readonly coordinator: CoordinatorHandle;
  /** Spawn to /readyz 200, ms. */
  readonly readyMs: number;
  /** The steps of the start-up, ms after spawn, from the log: "node up +120 ms, store open +180 ms, ...". */
  readonly steps: string;
}

const STEPS: ReadonlyArray<readonly [string, string]> = [
  ['coordinator starting', 'node up'],
  ['task store opened', 'store open'],
  ['schedules loaded', 'schedules loaded'],
  ['engine started', 'engine started'],
  ['coordinator listening', 'listening'],
];

/** Spawns `baton coordinator` on `dataDir` (gRPC on any port) and resolves once /readyz says 200. */
export async function startTimed(group: ProcessGroup, dataDir: string, args: readonly string[], readyTimeoutMs = 600_000): Promise<TimedStartUp> {
  const httpPort = await freePort();
  const spawnWallMs = Date.now();
  const spawned = performance.now();
  const proc = group.add(spawnBaton(['coordinator', '--listen', '127.0.0.1:0', '--http', `127.0.0.1:${httpPort}`, '--data', dataDir, ...args], 'coordinator'));
  const readyAt = await waitUntilReady(httpPort, readyTimeoutMs, 10);
  const line = await proc.waitForLog((l) => l.msg === 'coordinator listening', 'coordinator listening');
  const port = line.grpc_port as number;
  return {
    coordinator: { process: proc, address: `127.0.0.1:${port}`, port, httpPort, dataDir },
    readyMs: readyAt - spawned,
    steps: startUpSteps(proc, spawnWallMs),
  };
}

function startUpSteps(proc: BatonProcess, spawnWallMs: number): string {
  const found: string[] = [];
  for (const [msg, label] of STEPS) {
    const line = proc.lines.find((l) => l.msg === msg);
    const at = typeof line?.time === 'string' ? Date.parse(line.time) : NaN; // pino's isoTime
    if (!Number.isNaN(at)) found.push(`${label} +${at - spawnWallMs} ms`);
  }
  return found.join(', ');
}
