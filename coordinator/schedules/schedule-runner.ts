import type { Clock } from '../../shared/clock';
import { AlreadyExistsError, NotFoundError, ResourceExhaustedError, UnavailableError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { CoreMetrics } from '../core/core-metrics';
import { TimerQueue } from '../core/timer-queue';
import type { SubmitOutcome } from '../core/task-submission';
import type { TaskRecord, TaskSpec } from '../core/task';
import type { Mutation, TaskStore } from '../core/task-store';
import { FireTimes } from './fire-times';
import type { ScheduleEntry, ScheduleView } from './schedule-entry';
import { ScheduleFiring } from './schedule-firing';
import { nextFireTimes } from './schedule-views';
import { SerialByKey } from './serial-by-key';
import type { ScheduleRecord, ScheduleSpec } from './schedule';

export type { FireView, ScheduleView } from './schedule-entry';

export interface ScheduleRunnerDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Submits through the engine (queue limits, idempotency keys), writing `alongside` in the same transaction as new tasks. */
  readonly submit: (specs: readonly TaskSpec[], alongside: readonly Mutation[]) => Promise<SubmitOutcome[]>;
  /** Whether the task is unfinished (tracked by the ledger). */
  readonly isUnfinished: (taskId: string) => boolean;
  readonly maxSchedules: number;
  /** Payload bytes of every schedule's task template together: they are held in memory. */
  readonly maxTemplateBytes: number;
  readonly metrics: Pick<CoreMetrics, 'scheduleFires'>;
  /** Jitter's source, in [0, 1). */
  readonly random: () => number;
  /** Runs `work` on a later turn of the event loop. Default setImmediate. */
  readonly defer?: (work: () => void) => void;
}

const RECENT_FIRES_SHOWN = 10;
/**
 * Schedules that came due together are planned this many per turn of the event loop: ten
 * thousand schedules due at the same second (or after a restart) must not hold the loop, and
 * with it every worker's heartbeat, for the whole of their planning.
 */
const DUE_PER_TURN = 64;

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
  private readonly schedules = new Map<string, ScheduleEntry>();
  private readonly timers: TimerQueue<string>;
  private readonly serial = new SerialByKey();
  private readonly firing: ScheduleFiring;
  private readonly log: Logger;
  /** Schedules whose fire time has come, waiting for their turn (DUE_PER_TURN). */
  private readonly due = new Set<string>();
  private draining = false;
  /** Creations between their checks and their commit: they count against the limits. */
  private creating = 0;
  private templateBytes = 0;
  private closed = false;

  constructor(private readonly deps: ScheduleRunnerDeps) {
    this.log = deps.logger.child({ component: 'scheduler' });
    const { store, clock, submit, isUnfinished, metrics, random } = deps;
    this.firing = new ScheduleFiring({ store, clock, log: this.log, submit, isUnfinished, metrics, random });
    this.timers = new TimerQueue(
      clock,
      (name) => this.becameDue(name),
      (err, name) => this.log.error({ err, schedule: name }, 'a schedule timer failed'),
    );
  }

  get size(): number {
    return this.schedules.size;
  }

  /** Loads every schedule and arms it; fire times missed while the coordinator was down follow each one's catch-up policy. */
  start(): void {
    for (const record of this.deps.store.loadSchedules()) {
      const newest = this.deps.store.listTasks({ schedule: record.spec.name }, 1).tasks[0];
      const entry: ScheduleEntry = { record, times: timesOf(record), lastTaskId: newest?.id ?? null, nextFireMs: undefined };
      this.schedules.set(record.spec.name, entry);
      this.templateBytes += record.spec.template.payload.length;
      if (record.bufferedFireMs !== null) this.run(record.spec.name, (e) => this.firing.fireBuffered(e));
      this.arm(entry);
    }
    if (this.schedules.size > 0) this.log.info({ schedules: this.schedules.size }, 'schedules loaded');
  }

  /** @throws AlreadyExistsError for a name in use; ResourceExhaustedError at maxSchedules or maxScheduleBytes. */
  async create(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.exclusive(spec.name, async () => {
      if (this.schedules.has(spec.name)) throw new AlreadyExistsError(`spec.name: a schedule named "${spec.name}" already exists`);
      if (this.schedules.size + this.creating >= this.deps.maxSchedules) {
        throw new ResourceExhaustedError(`there are already ${this.schedules.size} schedules, the limit (setting maxSchedules)`);
      }
      const bytes = spec.template.payload.length;
      this.reserveTemplateBytes(bytes, 0);
      this.creating += 1;
      const nowMs = this.deps.clock.now();
      const record: ScheduleRecord = { spec, paused: false, lastFireMs: nowMs, skippedFires: 0, bufferedFireMs: null, createdAtMs: nowMs, updatedAtMs: nowMs };
      try {
        await this.deps.store.write([{ kind: 'putSchedule', schedule: record }]);
      } catch (err: unknown) {
        this.templateBytes -= bytes;
        throw err;
      } finally {
        this.creating -= 1;
      }
      const entry: ScheduleEntry = { record, times: timesOf(record), lastTaskId: null, nextFireMs: undefined };
      this.schedules.set(spec.name, entry);
      this.arm(entry);
      this.log.info({ schedule: spec.name, cadence: spec.cadence, timezone: spec.timezone }, 'schedule created');
      return this.view(entry, []);
    });
  }

  /** Replaces the spec; history and pause stay. Fire times before now are not caught up under the new spec, and a buffered fire is dropped. */
  async update(spec: ScheduleSpec): Promise<ScheduleView> {
    return this.change(spec.name, (record, nowMs) => {
      this.reserveTemplateBytes(spec.template.payload.length, record.spec.template.payload.length);
      const dropped = record.bufferedFireMs === null ? 0 : 1;
      return { ...record, spec, lastFireMs: Math.max(record.lastFireMs, nowMs), bufferedFireMs: null, skippedFires: record.skippedFires + dropped, updatedAtMs: nowMs };
    });
  }

  async pause(name: string): Promise<ScheduleView> {
    return this.change(name, (record, nowMs) => (record.paused ? record : { ...record, paused: true, updatedAtMs: nowMs }));
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
      const entry = this.entryOf(name);
      await this.deps.store.write([{ kind: 'deleteSchedule', name }]);
      this.schedules.delete(name);
      this.templateBytes -= entry.record.spec.template.payload.length;
      this.timers.cancel(name);
      this.log.info({ schedule: name }, 'schedule deleted');
    });
  }

  /** Fires now, paused or not, whatever the overlap policy; the fire time is now. */
  async trigger(name: string): Promise<TaskRecord> {
    return this.exclusive(name, () => this.firing.trigger(this.entryOf(name)));
  }

  /** The schedule as held now, without its fires (cheap: no store read); NOT_FOUND for an unknown name. */
  peek(name: string): ScheduleRecord {
    return this.entryOf(name).record;
  }

  async get(name: string): Promise<ScheduleView> {
    const entry = this.entryOf(name);
    await this.deps.store.flush();
    const fires = this.deps.store.listTasks({ schedule: name }, RECENT_FIRES_SHOWN).tasks;
    return this.view(entry, fires.map((task) => ({ fireMs: task.scheduleFireMs ?? task.createdAtMs, taskId: task.id, state: task.state })));
  }

  /** By name, after `afterName` when given, those `visible` accepts; each with its next fire time only. */
  list(limit: number, afterName?: string, visible: (record: ScheduleRecord) => boolean = () => true): { schedules: ScheduleView[]; nextAfter: string | undefined } {
    const names: string[] = [];
    for (const [name, entry] of this.schedules) if ((afterName === undefined || name > afterName) && visible(entry.record)) names.push(name);
    names.sort();
    const page = names.slice(0, limit);
    const schedules = page.map((name) => {
      const entry = this.schedules.get(name) as ScheduleEntry;
      return { record: entry.record, nextFireMs: entry.nextFireMs === undefined ? [] : [entry.nextFireMs], recentFires: [] };
    });
    return { schedules, nextAfter: names.length > limit ? page[page.length - 1] : undefined };
  }

  /** A finished task of a schedule may release the fire its overlap policy buffered (checked in turn, after any fire in flight). */
  taskFinished(task: TaskRecord): void {
    if (task.scheduleName === null || this.closed) return;
    const entry = this.schedules.get(task.scheduleName);
    if (entry?.lastTaskId === task.id && entry.record.spec.overlap === 'buffer_one') this.run(task.scheduleName, (e) => this.firing.fireBuffered(e));
  }

  close(): void {
    this.closed = true;
    this.timers.close();
    this.due.clear();
  }

  private async change(name: string, next: (record: ScheduleRecord, nowMs: number) => ScheduleRecord): Promise<ScheduleView> {
    return this.exclusive(name, async () => {
      const entry = this.entryOf(name);
      const record = next(entry.record, this.deps.clock.now());
      if (record !== entry.record) {
        // A pause or resume changes state only: no need to rewrite the spec and its payload.
        const specChanged = record.spec !== entry.record.spec;
        await this.deps.store.write([{ kind: specChanged ? 'putSchedule' : 'updateScheduleState', schedule: record }]);
        if (specChanged) entry.times = timesOf(record);
        entry.record = record;
        this.arm(entry);
      }
      return this.view(entry, []);
    });
  }

  /** A timer went off: the schedule waits its turn, so that many due at once do not hold the event loop. */
  private becameDue(name: string): void {
    this.due.add(name);
    if (this.draining) return;
    this.draining = true;
    (this.deps.defer ?? setImmediate)(() => this.drainDue());
  }

  private drainDue(): void {
    let taken = 0;
    for (const name of this.due) {
      if (taken === DUE_PER_TURN) break;
      this.due.delete(name);
      taken += 1;
      this.run(name, async (entry) => {
        if (entry.record.paused) return;
        try {
          await this.firing.fireDue(entry);
        } finally {
          this.arm(entry);
        }
      });
    }
    if (this.due.size > 0 && !this.closed) (this.deps.defer ?? setImmediate)(() => this.drainDue());
    else this.draining = false;
  }

  /** Runs `work` on the schedule in its turn, in the background; a failure is logged (a store failure also stops the coordinator). */
  private run(name: string, work: (entry: ScheduleEntry) => Promise<void>): void {
    this.exclusive(name, async () => {
      const entry = this.schedules.get(name);
      if (entry) await work(entry);
    }).catch((err: unknown) => {
      if (!this.closed) this.log.error({ err, schedule: name }, 'firing a schedule failed');
    });
  }

  private arm(entry: ScheduleEntry): void {
    const name = entry.record.spec.name;
    entry.nextFireMs = entry.record.paused ? undefined : entry.times.next(entry.record.lastFireMs);
    if (entry.nextFireMs === undefined || this.closed || !this.schedules.has(name)) this.timers.cancel(name);
    else this.timers.set(name, entry.nextFireMs);
  }

  /** @throws ResourceExhaustedError when `adding` bytes instead of `replacing` would pass maxTemplateBytes. */
  private reserveTemplateBytes(adding: number, replacing: number): void {
    const total = this.templateBytes - replacing + adding;
    if (adding > replacing && total > this.deps.maxTemplateBytes) {
      throw new ResourceExhaustedError(
        `spec.task.payload: schedules' payloads would take ${total} bytes, over the limit of ${this.deps.maxTemplateBytes} (setting maxScheduleBytes)`,
      );
    }
    this.templateBytes = total;
  }

  private view(entry: ScheduleEntry, recentFires: ScheduleView['recentFires']): ScheduleView {
    return { record: entry.record, nextFireMs: nextFireTimes(entry.record, entry.times, this.deps.clock.now()), recentFires };
  }

  private entryOf(name: string): ScheduleEntry {
    const entry = this.schedules.get(name);
    if (!entry) throw new NotFoundError(`schedule "${name}" not found`);
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
