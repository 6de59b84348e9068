/**
 * The systems of the comparison, in the order of the first repetition, and the checks that
 * switch one off when it cannot run here:
 *
 * - `bullmq`: needs a redis-server binary (REDIS_SERVER, default /usr/bin/redis-server) and a
 *   Redis client package for BullMQ (bullmq-client.ts).
 * - `baton normal`, `baton full`: the coordinator with `--sync normal` / `--sync full`.
 * - `baton memory` (a limit): the coordinator with `--store memory`, no durable store; on only
 *   when `baton help coordinator` (from dist/) lists `--store`.
 * - `transport` (a limit): a stand-in coordinator with no store that speaks Baton's protocol,
 *   started by `startStandIn(group)` of bench/transport/standin-process.ts; on only when that
 *   file exists and exports the function.
 *
 * BENCH_SYSTEMS (comma-separated names) runs only some, e.g. `BENCH_SYSTEMS='bullmq,baton normal'`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type ProcessGroup } from '../../test/support/processes';
import { batonSystem, realCoordinator, type CoordinatorEndpoint } from './baton-system';
import { findBullmqClient } from './bullmq-client';
import { bullmqSystem } from './bullmq-system';
import { findRedisServer } from './redis-server';
import type { SkippedSystem, System } from './system';

const BATON_JS = join(REPO_ROOT, 'dist', 'bin', 'baton.js');
const STAND_IN_MODULE = join(REPO_ROOT, 'bench', 'transport', 'standin-process.ts');

export interface SystemLineUp {
  readonly systems: readonly System[];
  readonly skipped: readonly SkippedSystem[];
}

type Candidate = { readonly name: string } & ({ readonly system: System } | { readonly reason: string });

/** Every system that can run here (and that BENCH_SYSTEMS selects), and why the others cannot. */
export async function lineUp(): Promise<SystemLineUp> {
  const candidates: Candidate[] = [
    bullmqCandidate(),
    { name: 'baton normal', system: batonSystem('baton normal', realCoordinator(['--sync', 'normal'])) },
    { name: 'baton full', system: batonSystem('baton full', realCoordinator(['--sync', 'full'])) },
    memoryStoreCandidate(),
    await transportCandidate(),
  ];
  const wanted = process.env.BENCH_SYSTEMS?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = wanted?.filter((name) => !candidates.some((c) => c.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`BENCH_SYSTEMS: unknown ${unknown.join(', ')} (known: ${candidates.map((c) => c.name).join(', ')})`);
  const selected = candidates.filter((c) => !wanted || wanted.includes(c.name));
  return {
    systems: selected.flatMap((c) => ('system' in c ? [c.system] : [])),
    skipped: selected.flatMap((c) => ('reason' in c ? [{ name: c.name, reason: c.reason }] : [])),
  };
}

function bullmqCandidate(): Candidate {
  const redis = findRedisServer();
  if (!redis) return { name: 'bullmq', reason: `no redis-server at ${process.env.REDIS_SERVER ?? '/usr/bin/redis-server'} (set REDIS_SERVER, or apt-get install redis-server)` };
  const client = findBullmqClient();
  if ('missing' in client) return { name: 'bullmq', reason: client.missing };
  return { name: 'bullmq', system: bullmqSystem(redis, client.kind) };
}

function memoryStoreCandidate(): Candidate {
  const name = 'baton memory';
  if (!existsSync(BATON_JS)) return { name, reason: `${BATON_JS} is missing: build first (npx tsc -p tsconfig.build.json)` };
  const help = spawnSync(process.execPath, [BATON_JS, 'help', 'coordinator'], { encoding: 'utf8' });
  if (!/--store\b/.test(`${help.stdout}${help.stderr}`)) return { name, reason: 'the built coordinator has no --store flag (dist/ older than the memory store?)' };
  return { name, system: batonSystem(name, realCoordinator(['--store', 'memory'])) };
}

/** The contract of bench/transport/standin-process.ts, loaded only when the transport system is selected. */
interface StandInModule {
  readonly startStandIn: (group: ProcessGroup) => Promise<CoordinatorEndpoint>;
}

async function transportCandidate(): Promise<Candidate> {
  const name = 'transport';
  if (!existsSync(STAND_IN_MODULE)) return { name, reason: 'bench/transport/standin-process.ts does not exist' };
  // A CommonJS module imported: its exports are named, or under `default` when Node cannot tell.
  const loaded = (await import(STAND_IN_MODULE)) as Partial<StandInModule> & { readonly default?: Partial<StandInModule> };
  const startStandIn = loaded.startStandIn ?? loaded.default?.startStandIn;
  if (typeof startStandIn !== 'function') return { name, reason: 'bench/transport/standin-process.ts exports no startStandIn function' };
  return { name, system: batonSystem(name, (group) => startStandIn(group)) };
}
