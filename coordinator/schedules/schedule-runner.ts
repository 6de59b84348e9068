import type { Clock } from '../../shared/clock';
import { AlreadyExistsError, NotFoundError, ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { CoreMetrics } from '../core/core-metrics';
import { TimerQueue } from '../core/timer-queue';
import type { SubmitOutcome } from '../core/task-submission';
import type { TaskRecord, TaskSpec, TaskState } from '../core/task';
import type { Mutation, TaskStore } from '../core/task-store';
import { planDueFires } from './catch-up';
import { FireTimes } from './fire-times';
import { applyOverlap, fireSpec } from './schedule-fires';
import { nextFireTimes } from './schedule-views';
import { SerialByKey } from './serial-by-key';
import type { ScheduleRecord, ScheduleSpec } from './schedule';

export interface ScheduleRunnerDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Submits through the engine (queue limits, idempotency keys), writing `alongside` in the same transaction as new tasks. */
  readonly submit: (specs: readonly TaskSpec[], alongside: readonly Mutation[]) => Promise<SubmitOutcome[]>;
  /** Whether the task is unfinished (tracked by the ledger). */
  readonly isUnfinished: (taskId: string) => boolean;
  readonly maxSchedules: number;
  readonly metrics: Pick<CoreMetrics, 'scheduleFires'>;
  /** Jitter's source, in [0, 1). */
  readonly random: () => number;
}

/** One fire that submitted a task, as GetSchedule shows it. */
export interface FireView {
  readonly fireMs: number;
  readonly taskId: string;
  readonly state: TaskState;
}

/** A schedule with what it will do and what it did. */
export interface ScheduleView {
  readonly record: ScheduleRecord;
  readonly nextFireMs: readonly number[];
  /** Newest first; empty in listings. */
  readonly recentFires: readonly FireView[];
}

interface Entry {
  record: ScheduleRecord;
  times: FireTimes;
  /** The task of the latest fire, for the overlap policy; null before the first. */
  lastTaskId: string | null;
}

const RECENT_FIRES_SHOWN = 10;

/**
 * The coordinator's scheduler: every schedule in memory under one timer queue, firing
 * through the engine. A fire's task and the schedule's new state commit in one transaction,
 * and the task's idempotency key is derived from (schedule, fire time): a crash between fire
 * and commit, a restart, or a second coordinator never submits a fire time twice.
 *
 * Every change to one schedule (a fire, an update, a pause...) runs after the previous one
 * finished, so that a fire in flight can never write back a spec an update replaced.
 */
export class ScheduleRunner {
  private readonly schedules = new Map<string, Entry>();
  private readonly timers: TimerQueue<string>;
  private readonly serial = new SerialByKey();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly deps: ScheduleRunnerDeps) {
    this.log = deps.logger.child({ component: 'scheduler' });
    this.timers = new TimerQueue(
      deps.clock,
      (name) => void this.exclusive(name, () => this.fireDue(name)).catch(() => undefined), // logged in fireDue
      (err, name) => this.log.error({ err, schedule: name }, 'firing a schedule failed'),
    );
  }

  get size(): number {
    return this.schedules.size;
  }

  /** Loads every schedule and arms it; fire times missed while the coordinator was down follow each one's catch-up policy. */
  start(): void {
    for (const record of this.deps.store.loadSchedules()) {
      const newest = this.deps.store.listTasks({ schedule: record.spec.name }, 1).tasks[0];
      const entry: Entry = { record, times: timesOf(record), lastTaskId: newest?.id ?? null };
      this.schedules.set(record.spec.name, entry);
      if (record.bufferedFireMs !== null && !this.busy(entry)) void this.exclusive(record.spec.name, () => this.fireBuffered(record.spec.name));
      this.arm(entry);
    }
    if (this.schedules.size > 0) this.log.info({ schedules: this.schedules.size }, 'schedules loaded');
  }

  /** @throws AlreadyExistsError for a name in use; ResourceExhaustedError at maxSchedules. */
  async create(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.exclusive(spec.name, async () => {
      if (this.schedules.has(spec.name)) throw new AlreadyExistsError(`spec.name: a schedule named "${spec.name}" already exists`);
      if (this.schedules.size >= this.deps.maxSchedules) {
        throw new ResourceExhaustedError(`there are already ${this.schedules.size} schedules, the limit (setting maxSchedules)`);
      }
      const nowMs = this.deps.clock.now();
      const record: ScheduleRecord = { spec, paused: false, lastFireMs: nowMs, skippedFires: 0, bufferedFireMs: null, createdAtMs: nowMs, updatedAtMs: nowMs };
      await this.deps.store.write([{ kind: 'putSchedule', schedule: record }]);
      const entry: Entry = { record, times: timesOf(record), lastTaskId: null };
      this.schedules.set(spec.name, entry);
      this.arm(entry);
      this.log.info({ schedule: spec.name, cadence: spec.cadence, timezone: spec.timezone }, 'schedule created');
      return this.view(entry, []);
    });
  }

  /** Replaces the spec; history and pause stay. Fire times before now are not caught up under the new spec. */
  async update(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.change(spec.name, (record, nowMs) => ({ ...record, spec, lastFireMs: Math.max(record.lastFireMs, nowMs), bufferedFireMs: null, updatedAtMs: nowMs }));
  }

  async pause(name: string): Promise<ScheduleView> {
    return this.change(name, (record, nowMs) => ({ ...record, paused: true, updatedAtMs: nowMs }));
  }

  /** Fire times while paused are dropped: the schedule goes on from now. */
  async resume(name: string): Promise<ScheduleView> {
    return this.change(name, (record, nowMs) =>
      record.paused ? { ...record, paused: false, lastFireMs: Math.max(record.lastFireMs, nowMs), updatedAtMs: nowMs } : record,
    );
  }

  /** The tasks the schedule submitted stay. */
  async delete(name: string): Promise<void> {
    await this.exclusive(name, async () => {
      if (!this.schedules.has(name)) throw notFound(name);
      await this.deps.store.write([{ kind: 'deleteSchedule', name }]);
      this.schedules.delete(name);
      this.timers.cancel(name);
      this.log.info({ schedule: name }, 'schedule deleted');
    });
  }

  /** Fires now, paused or not, whatever the overlap policy; the fire time is now. */
  async trigger(name: string): Promise<TaskRecord> {
    return this.exclusive(name, async () => {
      const entry = this.entryOf(name);
      const nowMs = this.deps.clock.now();
      const [outcome] = await this.deps.submit([fireSpec(entry.record, nowMs, this.deps.random)], []);
      if (!outcome) throw new Error('a submission of one task returned no outcome');
      entry.lastTaskId = outcome.task.id;
      this.deps.metrics.scheduleFires('fired', 1);
      this.log.info({ schedule: name, fire_time: nowMs, task_id: outcome.task.id }, 'schedule triggered');
      return outcome.task;
    });
  }

  async get(name: string): Promise<ScheduleView> {
    const entry = this.entryOf(name);
    await this.deps.store.flush();
    const fires = this.deps.store.listTasks({ schedule: name }, RECENT_FIRES_SHOWN).tasks;
    return this.view(entry, fires.map((task) => ({ fireMs: task.scheduleFireMs ?? task.createdAtMs, taskId: task.id, state: task.state })));
  }

  /** By name, after `afterName` when given, those `visible` accepts; without recent fires. */
  list(limit: number, afterName?: string, visible: (record: ScheduleRecord) => boolean = () => true): { schedules: ScheduleView[]; nextAfter: string | undefined } {
    const names: string[] = [];
    for (const [name, entry] of this.schedules) if ((afterName === undefined || name > afterName) && visible(entry.record)) names.push(name);
    names.sort();
    const page = names.slice(0, limit);
    const schedules = page.map((name) => this.view(this.schedules.get(name) as Entry, []));
    return { schedules, nextAfter: names.length > limit ? page[page.length - 1] : undefined };
  }

  /** A finished task of a schedule may release the fire its overlap policy buffered. */
  taskFinished(task: TaskRecord): void {
    if (task.scheduleName === null) return;
    const entry = this.schedules.get(task.scheduleName);
    if (!entry || entry.lastTaskId !== task.id || entry.record.bufferedFireMs === null) return;
    void this.exclusive(task.scheduleName, () => this.fireBuffered(task.scheduleName as string)).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.timers.close();
  }

  private async change(name: string, next: (record: ScheduleRecord, nowMs: number) => ScheduleRecord): Promise<ScheduleView> {
    return this.exclusive(name, async () => {
      const entry = this.entryOf(name);
      const record = next(entry.record, this.deps.clock.now());
      if (record !== entry.record) {
        await this.deps.store.write([{ kind: 'putSchedule', schedule: record }]);
        entry.record = record;
        entry.times = timesOf(record);
        this.arm(entry);
      }
      return this.view(entry, []);
    });
  }

  /** The fires due now, after the catch-up and overlap policies, with the schedule's new state in the same commit. */
  private async fireDue(name: string): Promise<void> {
    const entry = this.schedules.get(name);
    if (!entry || entry.record.paused || this.closed) return;
    const nowMs = this.deps.clock.now();
    const { record } = entry;
    const plan = planDueFires({ times: entry.times, policy: record.spec.catchUp, limit: record.spec.catchUpLimit, lastFireMs: record.lastFireMs, nowMs });
    const overlap = applyOverlap(record.spec.overlap, plan.fire, this.busy(entry), record.bufferedFireMs);
    if (plan.dropped > 0) {
      this.log.warn({ schedule: name, dropped: plan.dropped, policy: record.spec.catchUp }, 'missed fire times dropped by the catch-up policy');
      this.deps.metrics.scheduleFires('dropped', plan.dropped);
    }
    if (overlap.skipped > 0) this.deps.metrics.scheduleFires('skipped', overlap.skipped);
    const next: ScheduleRecord = {
      ...record,
      lastFireMs: plan.lastFireMs,
      skippedFires: record.skippedFires + overlap.skipped,
      bufferedFireMs: overlap.buffered,
    };
    await this.submitFires(entry, next, overlap.fire, nowMs);
    this.arm(entry);
  }

  /** The fire buffer_one kept, now that the task before it finished. */
  private async fireBuffered(name: string): Promise<void> {
    const entry = this.schedules.get(name);
    const fireMs = entry?.record.bufferedFireMs;
    if (!entry || fireMs === null || fireMs === undefined || this.busy(entry) || this.closed) return;
    await this.submitFires(entry, { ...entry.record, bufferedFireMs: null }, [fireMs], this.deps.clock.now());
  }

  private async submitFires(entry: Entry, next: ScheduleRecord, fires: readonly number[], nowMs: number): Promise<void> {
    const name = next.spec.name;
    const alongside: Mutation[] = [{ kind: 'putSchedule', schedule: next }];
    let outcomes: SubmitOutcome[] = [];
    try {
      if (fires.length > 0) outcomes = await this.deps.submit(fires.map((fireMs) => fireSpec(next, fireMs, this.deps.random)), alongside);
      // Deduplicated fires (a second coordinator got there first) wrote nothing: record how far we got anyway.
      if (outcomes.every((outcome) => outcome.deduplicated)) await this.deps.store.write(alongside);
    } catch (err: unknown) {
      if (!(err instanceof ResourceExhaustedError)) {
        this.log.error({ err, schedule: name }, 'a schedule fire could not be committed');
        throw err;
      }
      // A full queue refuses the fire: it counts as skipped, or every later fire would retry it.
      const dropped: ScheduleRecord = { ...next, skippedFires: next.skippedFires + fires.length };
      this.log.warn({ schedule: name, fires: fires.length, err_message: err.message }, 'schedule fire refused by a queue limit; counted as skipped');
      await this.deps.store.write([{ kind: 'putSchedule', schedule: dropped }]);
      entry.record = dropped;
      this.deps.metrics.scheduleFires('skipped', fires.length);
      return;
    }
    this.deps.metrics.scheduleFires('fired', fires.length);
    entry.record = next;
    const last = outcomes[outcomes.length - 1];
    if (last) entry.lastTaskId = last.task.id;
    for (const [index, outcome] of outcomes.entries()) {
      this.log.info({ schedule: name, fire_time: fires[index], task_id: outcome.task.id, deduplicated: outcome.deduplicated, late_ms: nowMs - (fires[index] ?? nowMs) }, 'schedule fired');
    }
  }

  private arm(entry: Entry): void {
    const name = entry.record.spec.name;
    const next = entry.record.paused ? undefined : entry.times.next(entry.record.lastFireMs);
    if (next === undefined || this.closed) this.timers.cancel(name);
    else this.timers.set(name, next);
  }

  private busy(entry: Entry): boolean {
    return entry.lastTaskId !== null && this.deps.isUnfinished(entry.lastTaskId);
  }

  private view(entry: Entry, recentFires: readonly FireView[]): ScheduleView {
    return { record: entry.record, nextFireMs: nextFireTimes(entry.record, entry.times, this.deps.clock.now()), recentFires };
  }


  private entryOf(name: string): Entry {
    const entry = this.schedules.get(name);
    if (!entry) throw notFound(name);
    return entry;
  }

  /** Runs `work` after every earlier change to the schedule `name` has finished. */
  private exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the coordinator is not accepting requests (shutting down)'));
    return this.serial.run(name, work);
  }

}

function timesOf(record: ScheduleRecord): FireTimes {
  return new FireTimes(record.spec, record.createdAtMs);
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`schedule "${name}" not found`);
}

