/**
 * Helpers for the store tests: temp data directories, task records, and what the contract
 * tests (task-store-contract.ts) need of a store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AttemptRecord, TaskRecord } from '../../../coordinator/core/task';
import type { TaskStore } from '../../../coordinator/core/task-store';
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

/** The rejection of `promise`, or a failure if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (err: unknown) => err,
  );
}
