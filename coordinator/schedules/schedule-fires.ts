/**
 * What one fire of a schedule submits, and which fires the overlap policy lets through.
 */
import { NO_ENTRIES, type TaskSpec } from '../core/task';
import { fireIdempotencyKey, type OverlapPolicy, type ScheduleRecord } from './schedule';

/** The submission of the fire of `record` for `fireMs`; `random` in [0, 1) draws its jitter. */
export function fireSpec(record: ScheduleRecord, fireMs: number, random: () => number): TaskSpec {
  const { spec } = record;
  const { template } = spec;
  const jitterMs = spec.jitterMs > 0 ? Math.floor(random() * spec.jitterMs) : 0;
  return {
    queue: template.queue,
    type: template.type,
    payload: template.payload,
    contentType: template.contentType,
    priority: template.priority,
    runAtMs: jitterMs > 0 ? fireMs + jitterMs : undefined,
    maxAttempts: template.maxAttempts,
    retry: template.retry,
    maxInfraFailures: template.maxInfraFailures,
    timeoutMs: template.timeoutMs,
    idempotencyKey: fireIdempotencyKey(spec.name, fireMs),
    labels: template.labels,
    traceContext: NO_ENTRIES,
    origin: { scheduleName: spec.name, fireMs },
  };
}

/** The fires to submit now, and what the overlap policy did with the others. */
export interface OverlapOutcome {
  readonly fire: number[];
  /** Fires dropped: by `skip`, or a buffered fire replaced by a later one under `buffer_one`. */
  readonly skipped: number;
  /** The fire kept for when the running task finishes (buffer_one); null for none. */
  readonly buffered: number | null;
}

/**
 * Applies the overlap policy to `due` (oldest first). `busy` says whether the task of the
 * schedule's previous fire is unfinished; a fire let through makes the schedule busy for the
 * fires after it, so that catching up under `skip` submits one task, not many at once. A
 * buffered fire whose wait is over goes before the due ones: it is older.
 */
export function applyOverlap(policy: OverlapPolicy, due: readonly number[], busy: boolean, buffered: number | null): OverlapOutcome {
  if (policy === 'allow') return { fire: [...due], skipped: 0, buffered };
  const fire: number[] = [];
  let skipped = 0;
  let keep = buffered;
  let running = busy;
  if (!running && keep !== null) {
    fire.push(keep);
    keep = null;
    running = true;
  }
  for (const fireMs of due) {
    if (!running) {
      fire.push(fireMs);
      running = true;
    } else if (policy === 'skip') {
      skipped += 1;
    } else {
      if (keep !== null) skipped += 1;
      keep = fireMs;
    }
  }
  return { fire, skipped, buffered: keep };
}
