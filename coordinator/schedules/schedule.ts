/**
 * The coordinator's model of a schedule: plain data, independent of the wire (api/) and of
 * storage (store/). Times are Unix milliseconds.
 */
import type { BackoffPolicy } from '../../shared/backoff';

export type OverlapPolicy = 'allow' | 'skip' | 'buffer_one';
export type CatchUpPolicy = 'skip' | 'one' | 'all';

/** When a schedule fires: a cron expression in a zone, or a fixed interval. */
export type Cadence =
  | { readonly kind: 'cron'; readonly expression: string }
  | { readonly kind: 'every'; readonly intervalMs: number };

/** What each fire submits; the submission's other fields come from the schedule and the fire. */
export interface TaskTemplate {
  readonly queue: string;
  readonly type: string;
  readonly payload: Buffer;
  readonly contentType: string;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly retry: BackoffPolicy;
  readonly maxInfraFailures: number | null;
  readonly timeoutMs: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** What a client sets, validated (api/schedule-validation.ts). */
export interface ScheduleSpec {
  readonly name: string;
  readonly cadence: Cadence;
  /** IANA zone; 'UTC' when the client named none. */
  readonly timezone: string;
  readonly template: TaskTemplate;
  readonly overlap: OverlapPolicy;
  readonly catchUp: CatchUpPolicy;
  /** With catch-up 'all': at most this many missed fires. */
  readonly catchUpLimit: number;
  readonly startAtMs: number | null;
  readonly endAtMs: number | null;
  /** A fire's task runs up to this long after the fire time, at random; 0 for none. */
  readonly jitterMs: number;
}

/** A schedule as stored: its spec and the state that survives restarts. */
export interface ScheduleRecord {
  spec: ScheduleSpec;
  paused: boolean;
  /**
   * The latest fire time dealt with (fired, skipped, or dropped by catch-up): fires after it
   * are due. At creation, the creation time (nothing before it is due).
   */
  lastFireMs: number;
  /** Fires dropped by the overlap policy so far. */
  skippedFires: number;
  /** A fire kept by the buffer_one policy until the previous task finishes; null for none. */
  bufferedFireMs: number | null;
  readonly createdAtMs: number;
  updatedAtMs: number;
}

/** Defaults for what a client leaves unset. */
export const DEFAULT_OVERLAP: OverlapPolicy = 'skip';
export const DEFAULT_CATCH_UP: CatchUpPolicy = 'one';
export const DEFAULT_CATCH_UP_LIMIT = 100;
/** A catch-up walks back this many cron fire times at most (up to ~200 µs each): at most a fraction of a second per schedule. */
export const MAX_CATCH_UP_LIMIT = 1000;

/**
 * The idempotency key of the task a fire submits: one task per (schedule, fire time), so a
 * restart, a crash between fire and commit, or a second coordinator never fires twice.
 */
export function fireIdempotencyKey(scheduleName: string, fireMs: number): string {
  return `${FIRE_KEY_PREFIX}${scheduleName}@${new Date(fireMs).toISOString()}`;
}

/** Fires' keys start with this, and submissions may not use it (submit-validation.ts). */
export const FIRE_KEY_PREFIX = 'schedule:';
