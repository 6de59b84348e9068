/**
 * Checks of a schedule's timing fields, for the API to turn client input into
 * InvalidArgumentError. `field` is the field's path as the client wrote it ("spec.cron"),
 * and starts every message.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { InvalidArgumentError } from '../../shared/errors';
import type { Cadence } from './schedule';

export const MAX_CRON_LENGTH = 256;
export const MIN_INTERVAL_MS = 1000;

/** The longest gap between fires accepted: a yearly schedule, with room for a leap day. */
export const MAX_CRON_GAP_MS = 367 * 86_400_000;
/** Fires checked against MAX_CRON_GAP_MS, from a fixed date so that the answer never changes. */
const GAP_CHECK_FIRES = 4;
const GAP_CHECK_FROM_MS = Date.UTC(2001, 0, 1);

/**
 * A cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds
 * first), as cron-parser reads it, that fires at least once a year. A rarer one (Feb 29)
 * costs cron-parser tens of milliseconds per fire time, on the coordinator's only thread.
 * @throws InvalidArgumentError naming `field`.
 */
export function checkCronExpression(expression: string, field: string): void {
  const walls = parseCron(expression, field, GAP_CHECK_FROM_MS);
  let previousMs = GAP_CHECK_FROM_MS;
  for (let i = 0; i < GAP_CHECK_FIRES; i += 1) {
    const fireMs = walls.hasNext() ? walls.next().getTime() : Infinity;
    if (fireMs - previousMs > MAX_CRON_GAP_MS) {
      throw new InvalidArgumentError(`${field}: "${expression}" fires less often than once a year, which schedules do not support`);
    }
    previousMs = fireMs;
  }
}

/**
 * The zone's canonical IANA name ("europe/berlin" is "Europe/Berlin"), so that a schedule
 * shows the zone as everyone spells it.
 * @throws InvalidArgumentError naming `field` when Intl does not know the zone.
 */
export function checkTimezone(zone: string, field: string): string {
  const known = canonicalZones.get(zone);
  if (known !== undefined) return known;
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat(undefined, { timeZone: zone }).resolvedOptions().timeZone;
  } catch (err: unknown) {
    throw new InvalidArgumentError(`${field}: "${zone.slice(0, 64)}" is not an IANA time zone`, { cause: err });
  }
  // Building a DateTimeFormat costs ~100 µs; there are only a few hundred zones (and spellings of them).
  if (canonicalZones.size >= MAX_REMEMBERED_ZONES) canonicalZones.clear();
  canonicalZones.set(zone, canonical);
  return canonical;
}

const MAX_REMEMBERED_ZONES = 1000;
const canonicalZones = new Map<string, string>();

/** @throws InvalidArgumentError naming `field` for an interval under a second or not whole ms. */
export function checkInterval(intervalMs: number, field: string): void {
  if (!Number.isInteger(intervalMs)) {
    throw new InvalidArgumentError(`${field}: must be a whole number of milliseconds, got ${intervalMs}`);
  }
  if (intervalMs < MIN_INTERVAL_MS) {
    throw new InvalidArgumentError(`${field}: ${intervalMs}ms is shorter than the minimum of ${MIN_INTERVAL_MS}ms`);
  }
}

/**
 * Jitter must not reach the next fire, or a fire's task could start after the next one's.
 * @param cadenceMinGapMs - the shortest gap between fires (see cadenceMinGapMs).
 * @throws InvalidArgumentError naming `field`.
 */
export function checkJitter(jitterMs: number, cadenceMinGapMs: number, field: string): void {
  if (!Number.isFinite(jitterMs) || jitterMs < 0) {
    throw new InvalidArgumentError(`${field}: must not be negative, got ${jitterMs}`);
  }
  if (jitterMs > cadenceMinGapMs) {
    throw new InvalidArgumentError(`${field}: ${jitterMs}ms is longer than the ${cadenceMinGapMs}ms between fires`);
  }
}

/**
 * Consecutive cron fires sampled for the shortest gap: calendar patterns repeat by day, week,
 * month and year, so their shortest gap shows early. cron-parser takes up to ~60 µs a fire.
 */
const GAP_SAMPLE_FIRES = 200;
/** Eight years, so that even a Feb 29 pattern fires more than once. */
const GAP_SAMPLE_SPAN_MS = 8 * 366 * 86_400_000;
const GAP_SAMPLE_FROM_MS = Date.UTC(2000, 0, 1);

/**
 * The shortest gap between consecutive fires, on wall-clock time: DST can bring two cron
 * fires closer once a year, which a jitter bound need not account for.
 * @param field - names the expression in the error when it is invalid.
 * @throws InvalidArgumentError when the expression is invalid.
 */
export function cadenceMinGapMs(cadence: Cadence, field = 'spec.cron'): number {
  if (cadence.kind === 'every') return cadence.intervalMs;
  const walls = parseCron(cadence.expression, field, GAP_SAMPLE_FROM_MS);
  let minGapMs = Infinity;
  let previousMs: number | undefined;
  let fires = 0;
  // The iterator ends where cron-parser finds no further match.
  for (const wall of walls) {
    const fireMs = wall.getTime();
    if (previousMs !== undefined) minGapMs = Math.min(minGapMs, fireMs - previousMs);
    previousMs = fireMs;
    fires += 1;
    if (fires === GAP_SAMPLE_FIRES || fireMs - GAP_SAMPLE_FROM_MS > GAP_SAMPLE_SPAN_MS) break;
  }
  return minGapMs;
}

function parseCron(expression: string, path: string, fromMs = 0): CronExpression {
  if (expression.length > MAX_CRON_LENGTH) {
    throw new InvalidArgumentError(`${path}: longer than ${MAX_CRON_LENGTH} characters`);
  }
  const shown = `"${expression}"`;
  const fields = expression.trim().split(/\s+/).filter((part) => part !== '');
  if (fields.length < 5 || fields.length > 6) {
    throw new InvalidArgumentError(
      `${path}: ${shown} is not a cron expression: it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
    );
  }
  // cron-parser's H picks a random value per parse: fire times would move at every restart.
  if (fields.some((part) => part.split(',').some((item) => /^h/i.test(item)))) {
    throw new InvalidArgumentError(`${path}: ${shown} uses H (hashed values), which schedules do not support`);
  }
  let walls: CronExpression;
  try {
    walls = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(fromMs) });
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`${path}: ${shown} is not a cron expression: ${reason}`, { cause: err });
  }
  if (!walls.hasNext()) throw new InvalidArgumentError(`${path}: ${shown} never fires`);
  return walls;
}
