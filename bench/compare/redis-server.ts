/**
 * A private redis-server for the BullMQ side of the comparison: a free port on 127.0.0.1, a
 * fresh temp dir, AOF on with `appendfsync everysec` (BullMQ's usual durable setup: an
 * acknowledged job survives a crash of the Redis process, up to a second of writes lost on
 * power loss) and no RDB snapshots, so that only the AOF writes to disk.
 *
 * The process and its dir belong to a ProcessGroup: `group.cleanup()` stops it (SIGTERM, then
 * SIGKILL) and removes the dir, whatever happened before.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { BatonProcess, type ProcessGroup } from '../../test/support/processes';
import { freePort } from '../support';

/** Where Debian puts it; REDIS_SERVER overrides. */
const DEFAULT_REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 10_000;
/** A port found free can be taken before redis binds it; try a few. */
const START_ATTEMPTS = 3;

export interface RedisServer {
  readonly port: number;
  readonly process: BatonProcess;
}

/** The redis-server binary to use, or undefined when there is none (BullMQ is then skipped). */
export function findRedisServer(): string | undefined {
  const path = process.env.REDIS_SERVER ?? DEFAULT_REDIS_SERVER;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** `7.0.15`, from `redis-server --version`. */
export function redisVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
}


/**
 * Starts redis-server in `group` and resolves once it accepts connections.
 * @throws Error with redis's own output when it exits or stays silent for 10 s, three times.
 */
export async function startRedisServer(group: ProcessGroup, binary: string): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
    const dir = group.tempDir('baton-bench-redis-');
    const port = await freePort();
    const child = spawn(binary, redisArgs(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = group.add(new BatonProcess(child, 'redis-server'));
    try {
      await proc.waitForLog((line) => line.msg?.includes('Ready to accept connections') === true, 'ready', READY_TIMEOUT_MS);
      return { port, process: proc };
    } catch (err: unknown) {
      lastError = err;
      await proc.stop(1000);
    }
  }
  throw lastError;
}

function redisArgs(port: number, dir: string): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--logfile', '',
  ];
}
