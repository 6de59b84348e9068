import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreMetrics } from '../../coordinator/core/core-metrics';
import { Engine } from '../../coordinator/core/engine';
import type { EngineLimits, EngineOptions } from '../../coordinator/core/engine-options';
import type { AttemptOutcome, TaskSpec, TaskState } from '../../coordinator/core/task';
import type { CancelReason, LeaseGrant, ResultAck, WorkerChannel } from '../../coordinator/core/worker-channel';
import type { HelloSpec } from '../../coordinator/core/worker-channel';
import { SqliteTaskStore } from '../../coordinator/store/sqlite-store';
import type { ErrorCode } from '../../shared/errors';
import { silentLogger } from '../../shared/logger';
import { FakeClock } from './fake-clock';
import { taskSpec } from './tasks';

/** A worker stream as the core sees it, recording what the core sends. */
export class RecordingChannel implements WorkerChannel {
  readonly grants: LeaseGrant[] = [];
  readonly cancels: Array<{ leaseId: string; reason: CancelReason; message: string }> = [];
  /** One entry per Cancel message, to see what was coalesced. */
  readonly cancelMessages: Array<readonly string[]> = [];
  writable = true;
  readonly acks: ResultAck[] = [];
  closedWith: { code: ErrorCode; message: string } | undefined;

  sendLeases(grants: readonly LeaseGrant[]): void {
    this.grants.push(...grants);
  }
  sendCancel(leaseIds: readonly string[], reason: CancelReason, message: string): void {
    this.cancelMessages.push(leaseIds);
    for (const leaseId of leaseIds) this.cancels.push({ leaseId, reason, message });
  }
  sendAcks(acks: readonly ResultAck[]): void {
    this.acks.push(...acks);
  }
  close(code: ErrorCode, message: string): void {
    this.closedWith = { code, message };
  }
}

/** The core's metric events, kept for tests to read (the per-queue ones, which tests check). */
export class RecordingMetrics implements CoreMetrics {
  readonly submitted: Array<{ queue: string; count: number }> = [];
  readonly attemptsEnded: Array<{ queue: string; outcome: AttemptOutcome }> = [];
  readonly tasksFinished: Array<{ queue: string; state: TaskState }> = [];
  readonly retries: string[] = [];

  tasksSubmitted(queue: string, count: number): void {
    this.submitted.push({ queue, count });
  }
  attemptEnded(queue: string, outcome: AttemptOutcome): void {
    this.attemptsEnded.push({ queue, outcome });
  }
  taskFinished(queue: string, state: TaskState): void {
    this.tasksFinished.push({ queue, state });
  }
  retryScheduled(queue: string): void {
    this.retries.push(queue);
  }
  staleReportRejected(): void {}
  heartbeatMissed(): void {}
  dispatchLatency(): void {}
  runTime(): void {}
  scheduleFires(): void {}
  tasksDeleted(): void {}
}

export const LEASE_TIMEOUT_MS = 1000;

/** An engine on a real SQLite file in a temp dir, driven by a fake clock. */
export class EngineHarness {
  readonly clock = new FakeClock();
  /** What the engine counted (kept across restarts). */
  readonly metrics = new RecordingMetrics();
  readonly dir: string;
  store!: SqliteTaskStore;
  engine!: Engine;
  /** Set before `open()` (or a restart) to run the engine with other limits. */
  limits: EngineLimits | undefined;
  /** Set before a restart to run the engine with other options (queue settings, retention...). */
  options: Partial<EngineOptions> = {};
  /** The engine's source of jitter; set before a restart. */
  random: () => number = () => 0;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'baton-engine-'));
    this.open();
  }

  /** (Re)opens store and engine on the same directory: a restart. */
  open(): void {
    this.store = SqliteTaskStore.open({ dataDir: this.dir, synchronous: 'NORMAL', commitIntervalMs: 0, logger: silentLogger() });
    this.engine = new Engine({
      store: this.store,
      clock: this.clock,
      logger: silentLogger(),
      metrics: this.metrics,
      options: { heartbeatIntervalMs: 200, leaseTimeoutMs: LEASE_TIMEOUT_MS, ...(this.limits ? { limits: this.limits } : {}), ...this.options },
      random: () => this.random(),
    });
    this.engine.start();
  }

  async restart(): Promise<void> {
    await this.engine.close();
    await this.store.close();
    this.open();
  }

  /** Opens a session as `principal` (default 'anonymous'); pass the earlier `resumeSecret` to reconnect as the same process. */
  connect(
    workerId: string,
    concurrency: number,
    extra: Partial<HelloSpec> = {},
  ): { sessionId: string; channel: RecordingChannel; reclaimed: string[]; unknown: string[]; resumeSecret: string } {
    const channel = new RecordingChannel();
    const opened = this.engine.workers.open(
      { principal: 'anonymous', workerId, hostname: '', queues: ['default'], types: [], concurrency, heldLeaseIds: [], resumeSecret: '', ...extra },
      channel,
    );
    return { sessionId: opened.sessionId, channel, reclaimed: opened.reclaimedLeaseIds, unknown: opened.unknownLeaseIds, resumeSecret: opened.resumeSecret };
  }

  async submit(count: number, overrides: Partial<TaskSpec> = {}): Promise<string[]> {
    const specs = Array.from({ length: count }, () => taskSpec(overrides));
    const outcomes = await this.engine.submit(specs);
    await settle();
    return outcomes.map((o) => o.task.id);
  }

  async state(taskId: string): Promise<string> {
    return (await this.engine.get(taskId)).task.state;
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Lets queued microtasks and immediates (dispatch, group commits) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
