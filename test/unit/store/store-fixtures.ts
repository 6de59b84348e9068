/**
 * Helpers for the store tests: temp data directories, task records, and what the contract
 * tests (task-store-contract.ts) need of a store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AttemptRecord, TaskRecord } from '../../../coordinator/core/task';
import type { TaskStore } from '../../../coordinator/core/task-store';
import type { ScheduleRecord } from '../../../coordinator/schedules/schedule';
import { SqliteTaskStore, type CommitObservation, type SqliteStoreOptions, type StoreCommitStats } from '../../../coordinator/store/sqlite-store';
import { uuidv7 } from '../../../shared/ids';
import { silentLogger } from '../../../shared/logger';
import { makeTask as baseTask } from '../../support/tasks';

/** Temp directories made by a suite, removed by its after hook via `removeAll`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-'));
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens a store with a silent logger; `dataDir` is usually a fresh temp dir. */
export function openStore(dataDir: string, options: Partial<SqliteStoreOptions> = {}): SqliteTaskStore {
  return SqliteTaskStore.open({ dataDir, logger: silentLogger(), ...options });
}

/** A store under the contract tests: any TaskStore that counts its commits like the SQLite one. */
export interface ContractStore extends TaskStore {
  readonly stats: StoreCommitStats;
}

/** The options every store takes, which the contract tests vary. */
export interface ContractStoreOptions {
  readonly commitIntervalMs?: number;
  readonly commitMaxBatch?: number;
  readonly onCommit?: (observation: CommitObservation) => void;
}

/** Opens a fresh, empty store with a silent logger. */
export type OpenContractStore = (options?: ContractStoreOptions) => ContractStore;

let clockMs = Date.UTC(2030, 0, 1);

/** A queued task with plausible defaults; ids (UUIDv7) and times increase with each call. */
export function makeTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  clockMs += 1;
  return baseTask({
    id: uuidv7(clockMs),
    type: 'send-email',
    payload: Buffer.from(JSON.stringify({ to: 'a@example.com' })),
    retry: { initialMs: 1000, multiplier: 2, maxMs: 60_000, jitter: 0.2 },
    createdAtMs: clockMs,
    updatedAtMs: clockMs,
    runAtMs: clockMs,
    ...overrides,
  });
}

export function makeAttempt(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    number: 1,
    workerId: 'worker-1',
    leaseId: 'lease-1',
    workerProof: 'proof-1',
    workerPrincipal: 'token:pool',
    startedAtMs: clockMs,
    endedAtMs: null,
    outcome: 'running',
    error: '',
    ...overrides,
  };
}

/**
 * A UUIDv7 of millisecond `ms`, the `n`th (0 to 4095) of that millisecond: for tests that need
 * ids of chosen times, which `uuidv7` cannot make (it never goes back in time).
 */
export function uuidAt(ms: number, n = 0): string {
  const hex = ms.toString(16).padStart(12, '0');
  const seq = n.toString(16).padStart(3, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${seq}-8${seq}-${seq.repeat(4)}`;
}

/** A schedule in which every field differs from the others, so that one read or bound in the wrong place shows. */
export function makeSchedule(overrides: Partial<ScheduleRecord> & { name?: string } = {}): ScheduleRecord {
  const { name = 'nightly-report', ...rest } = overrides;
  return {
    spec: {
      name,
      cadence: { kind: 'cron', expression: '0 3 * * 1-5' },
      timezone: 'Europe/Paris',
      template: {
        queue: 'reports',
        type: 'build-report',
        payload: Buffer.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]),
        contentType: 'application/octet-stream',
        priority: -3,
        maxAttempts: 4,
        retry: { initialMs: 250, multiplier: 1.5, maxMs: 30_000, jitter: 0.1 },
        maxInfraFailures: 6,
        timeoutMs: 45_000,
        labels: { tenant: 'acme', 'ünïcode': '✓' },
      },
      overlap: 'buffer_one',
      catchUp: 'all',
      catchUpLimit: 17,
      startAtMs: 1_700_000_000_001,
      endAtMs: 1_900_000_000_002,
      jitterMs: 1234,
    },
    paused: true,
    lastFireMs: 1_700_000_000_003,
    skippedFires: 9,
    bufferedFireMs: 1_700_000_000_004,
    createdAtMs: 1_700_000_000_005,
    updatedAtMs: 1_700_000_000_006,
    ...rest,
  };
}

/** The rejection of `promise`, or a failure if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (err: unknown) => err,
  );
}
