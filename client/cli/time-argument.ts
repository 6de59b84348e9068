import { parseDurationMs } from '../../shared/duration';
import { UsageError } from './usage-error';

/** A duration with its unit (`90s`, `1.5h`, `2d`): "that long ago". A bare number is not one. */
const RELATIVE = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

/**
 * ISO 8601 as people type it: a date, optionally a time (`T` or a space) to the minute,
 * second or fraction, optionally a zone (`Z`, `+02:00`, `+0200`). Stricter than `new Date()`,
 * which reads `'30'` as the year 2030.
 */
const ISO_8601 = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/i;

/** The forms {@link parseTimeArgument} accepts, for usage text and errors. */
export const TIME_ARGUMENT_FORMS = 'an ISO 8601 time (2030-01-01, 2030-01-01T09:00:00Z) or a duration ago (30m, 1h, 2d)';

/**
 * A time flag such as `--since`: an ISO 8601 date or time (a date alone is midnight UTC; a
 * time without a zone is local time, as JavaScript reads it) or a duration with its unit,
 * meaning that long before `nowMs`.
 * @throws UsageError naming the flag and the accepted forms.
 */
export function parseTimeArgument(command: string, value: string, flag: string, nowMs: number): Date {
  const trimmed = value.trim();
  if (RELATIVE.test(trimmed)) return new Date(nowMs - parseDurationMs(trimmed, flag));
  const date = ISO_8601.test(trimmed) ? new Date(trimmed) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag}: expected ${TIME_ARGUMENT_FORMS}, got '${value}'`, command);
  }
  return date;
}

/** {@link parseTimeArgument} for an optional flag. */
export function optionalTimeArgument(command: string, value: string | undefined, flag: string, nowMs: number): Date | undefined {
  return value === undefined ? undefined : parseTimeArgument(command, value, flag, nowMs);
}
