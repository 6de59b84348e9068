/** What a comparison ran on and with: versions, machine, command, for RESULTS.md and the JSON. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/processes';
import { findBullmqClient } from './bullmq-client';
import { redisVersion } from './redis-server';

export interface RunContext {
  /** As typed, reconstructed: the BENCH_* variables set, then make or node. */
  readonly command: string;
  readonly startedAt: string;
  readonly baton: string;
  readonly node: string;
  readonly bullmq: string;
  /** BullMQ's Redis client and its version, e.g. `ioredis 5.11.1`. */
  readonly bullmqClient: string;
  readonly redis: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  /** 1-minute load average when the run began: others share this machine. */
  readonly loadAtStart: number;
}

export function runContext(redisBinary: string | undefined, argv: readonly string[]): RunContext {
  const vars = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_') || key === 'REDIS_SERVER' || key === 'NODE_PATH')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${shellQuote(value ?? '')} `)
    .join('');
  const invoked = process.env.MAKELEVEL !== undefined ? 'make bench' : `node --import tsx bench/run.ts${argv.map((arg) => ` ${shellQuote(arg)}`).join('')}`;
  const cpuList = cpus();
  const client = findBullmqClient();
  return {
    command: `${vars}${invoked}`,
    startedAt: new Date().toISOString(),
    baton: gitRevision(),
    node: process.version,
    bullmq: packageVersion('bullmq'),
    bullmqClient: 'missing' in client ? 'none' : `${client.kind} ${client.version}`,
    redis: redisBinary ? redisVersion(redisBinary) : 'none',
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    loadAtStart: loadavg()[0] ?? NaN,
  };
}

function shellQuote(value: string): string {
  return /^[\w./,:=-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function packageVersion(name: string): string {
  try {
    const path = join(REPO_ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `8dbd64a` or `8dbd64a+changes` (uncommitted changes in the tree). */
function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev}+changes` : rev;
  } catch {
    return 'unknown';
  }
}
