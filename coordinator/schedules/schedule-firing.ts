import type { Clock } from '../../shared/clock';
import { ResourceExhaustedError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { CoreMetrics } from '../core/core-metrics';
import type { TaskRecord, TaskSpec } from '../core/task';
import type { SubmitOutcome } from '../core/task-submission';
import type { Mutation, TaskStore } from '../core/task-store';
import { planDueFires } from './catch-up';
import { applyOverlap, fireSpec } from './schedule-fires';
import type { ScheduleEntry } from './schedule-entry';
import type { ScheduleRecord } from './schedule';

export interface ScheduleFiringDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Submits through the engine (queue limits, idempotency keys), writing `alongside` in the same transaction as new tasks. */
  readonly submit: (specs: readonly TaskSpec[], alongside: readonly Mutation[]) => Promise<SubmitOutcome[]>;
  /** Whether the task is unfinished (tracked by the ledger). */
  readonly isUnfinished: (taskId: string) => boolean;
  readonly metrics: Pick<CoreMetrics, 'scheduleFires'>;
  /** Jitter's source, in [0, 1). */
  readonly random: () => number;
}

/**
 * Fires per submission at most: a catch-up of many fire times goes out in transactions of
 * this size, so that no single commit holds up dispatch for long, and a queue that has room
 * for some of them gets those.
 */
export const FIRES_PER_SUBMISSION = 100;

/**
 * What one fire does: which fire times go (catch-up and overlap policies), the tasks they
 * submit, and the schedule's new state, committed with those tasks. The runner calls these
 * one at a time per schedule.
 */
export class ScheduleFiring {
  constructor(private readonly deps: ScheduleFiringDeps) {}

  /** Whether the task of the schedule's previous fire is unfinished. */
  busy(entry: ScheduleEntry): boolean {
    return entry.lastTaskId !== null && this.deps.isUnfinished(entry.lastTaskId);
  }

  /** The fire times due now, after the catch-up and overlap policies. */
  async fireDue(entry: ScheduleEntry): Promise<void> {
    const { record } = entry;
    const name = record.spec.name;
    const nowMs = this.deps.clock.now();
    const plan = planDueFires({ times: entry.times, policy: record.spec.catchUp, limit: record.spec.catchUpLimit, lastFireMs: record.lastFireMs, nowMs });
    const overlap = applyOverlap(record.spec.overlap, plan.fire, this.busy(entry), record.bufferedFireMs);
    if (plan.dropped > 0) {
      this.deps.log.warn({ schedule: name, dropped: plan.dropped, dropped_exact: plan.droppedExact, policy: record.spec.catchUp }, 'missed fire times dropped by the catch-up policy');
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
  }

  /** The fire buffer_one kept, once the task before it has finished. */
  async fireBuffered(entry: ScheduleEntry): Promise<void> {
    const fireMs = entry.record.bufferedFireMs;
    if (fireMs === null || this.busy(entry)) return;
    await this.submitFires(entry, { ...entry.record, bufferedFireMs: null }, [fireMs], this.deps.clock.now());
  }

  /** A fire for now, whatever the schedule's state and policies. */
  async trigger(entry: ScheduleEntry): Promise<TaskRecord> {
    const nowMs = this.deps.clock.now();
    const [outcome] = await this.deps.submit([fireSpec(entry.record, nowMs, this.deps.random)], []);
    if (!outcome) throw new Error('a submission of one task returned no outcome');
    entry.lastTaskId = outcome.task.id;
    this.deps.metrics.scheduleFires('fired', 1);
    this.deps.log.info({ schedule: entry.record.spec.name, fire_time: nowMs, task_id: outcome.task.id }, 'schedule triggered');
    return outcome.task;
  }

  /**
   * Submits `fires` (oldest first) in transactions of FIRES_PER_SUBMISSION, each committing
   * the schedule's progress with its tasks; `next` is the state once all are dealt with.
   */
  private async submitFires(entry: ScheduleEntry, next: ScheduleRecord, fires: readonly number[], nowMs: number): Promise<void> {
    const name = next.spec.name;
    for (let start = 0; start < fires.length; start += FIRES_PER_SUBMISSION) {
      const chunk = fires.slice(start, start + FIRES_PER_SUBMISSION);
      const last = start + chunk.length >= fires.length;
      // Until the last chunk, the schedule has dealt with the fire times up to this chunk's last.
      const state: ScheduleRecord = last ? next : { ...entry.record, lastFireMs: chunk[chunk.length - 1] as number };
      let outcomes: SubmitOutcome[];
      try {
        outcomes = await this.deps.submit(chunk.map((fireMs) => fireSpec(next, fireMs, this.deps.random)), [{ kind: 'updateScheduleState', schedule: state }]);
      } catch (err: unknown) {
        if (!(err instanceof ResourceExhaustedError)) {
          this.deps.log.error({ err, schedule: name }, 'a schedule fire could not be committed');
          throw err;
        }
        // A full queue refuses the fires: they count as skipped, or every later fire would retry them.
        const refused = fires.length - start;
        const skipped: ScheduleRecord = { ...next, skippedFires: next.skippedFires + refused };
        this.deps.log.warn({ schedule: name, fires: refused, err_message: err.message }, 'schedule fires refused by a queue limit; counted as skipped');
        await this.deps.store.write([{ kind: 'updateScheduleState', schedule: skipped }]);
        entry.record = skipped;
        this.deps.metrics.scheduleFires('skipped', refused);
        return;
      }
      // Deduplicated fires (a second coordinator got there first) wrote nothing: record how far we got anyway.
      if (outcomes.every((outcome) => outcome.deduplicated)) await this.deps.store.write([{ kind: 'updateScheduleState', schedule: state }]);
      entry.record = state;
      const newest = outcomes[outcomes.length - 1];
      if (newest) entry.lastTaskId = newest.task.id;
      this.deps.metrics.scheduleFires('fired', chunk.length);
      for (const [index, outcome] of outcomes.entries()) {
        const fireMs = chunk[index] ?? nowMs;
        // Debug, as every per-task success line: ten thousand schedules fire thousands a second.
        this.deps.log.debug({ schedule: name, fire_time: fireMs, task_id: outcome.task.id, deduplicated: outcome.deduplicated, late_ms: nowMs - fireMs }, 'schedule fired');
      }
    }
    if (fires.length === 0) {
      // Nothing submitted, but skips, drops and the buffer are state too.
      if (!sameState(next, entry.record)) await this.deps.store.write([{ kind: 'updateScheduleState', schedule: next }]);
      entry.record = next;
    }
  }
}

function sameState(a: ScheduleRecord, b: ScheduleRecord): boolean {
  return a.lastFireMs === b.lastFireMs && a.skippedFires === b.skippedFires && a.bufferedFireMs === b.bufferedFireMs && a.paused === b.paused;
}
