/**
 * The fire times of a cron expression in an IANA zone, with the DST rules of ScheduleSpec.
 *
 * cron-parser evaluates the expression on wall-clock time only (its zone is UTC, where no
 * clock jumps), and this file maps wall-clock times to instants itself, one offset segment at
 * a time. cron-parser's own zone handling does not give the contract: a time skipped by a
 * spring-forward fires at the same minutes past the next hour (02:30 → 03:30, not 03:00).
 *
 * The rules, for a change at instant T from offset p to offset o:
 * - spring-forward (p < o): the wall-clock times in [T+p, T+o] (the gap and the first wall
 *   time after it) fire once, at T.
 * - fall-back (p > o): the repeated wall-clock times [T+o, T+p) fire the first time only,
 *   unless the hour field is `*`: such an expression is "every so often", and follows real
 *   time through the repeated hour (`0 * * * *` fires 25 times on that day, not 24 with a
 *   two-hour hole).
 */
import { CronExpression, CronExpressionParser, type CronFieldCollection } from 'cron-parser';
import { ZoneTransitions } from './zone-transitions';

/** Longer than any clock change, so a transition earlier than this affects no later fire. */
const LOOKBACK_MS = 86_400_000;

/** The offset segment around an instant; `startMs` is undefined when the zone last changed before the lookback. */
interface Segment {
  readonly startMs: number | undefined;
  readonly offsetMs: number;
  readonly previousOffsetMs: number;
}

/** Fire times as instants (Unix ms, integers). Iterators are lazy: take what you need. */
export class CronFireTimes {
  private readonly zone: ZoneTransitions;
  /** The parsed expression: parsing is most of what cron-parser costs, and it never changes. */
  private readonly fields: CronFieldCollection;
  /** Fall-back repeats fire twice when every hour matches (see the file comment). */
  private readonly everyHour: boolean;

  /** @throws Error when the expression does not parse (check it first with checkCronExpression). */
  constructor(
    private readonly expression: string,
    timezone: string,
  ) {
    this.zone = ZoneTransitions.of(timezone);
    this.fields = parsedFields(expression);
    this.everyHour = this.fields.hour.values.length === 24;
  }

  /** Fire times in (afterMs, untilMs], oldest first; untilMs may be Infinity. */
  *ascending(afterMs: number, untilMs: number): Generator<number, void, undefined> {
    let fromMs = afterMs;
    while (fromMs < untilMs) {
      const segment = this.segmentAt(fromMs + 1);
      const { startMs, offsetMs } = segment;
      if (startMs !== undefined && startMs > fromMs && this.firesAtGap(segment)) {
        if (startMs > untilMs) return;
        yield startMs;
      }
      const walls = this.wallClock(Math.max(fromMs + offsetMs, this.lowestWallMs(segment)));
      let checkedMs = fromMs + 1;
      let segmentEndMs: number | undefined;
      for (let wallMs = nextWall(walls); wallMs !== undefined; wallMs = nextWall(walls)) {
        const fireMs = wallMs - offsetMs;
        if (fireMs > untilMs) return;
        segmentEndMs = this.zone.transitionsIn(checkedMs, fireMs)[0];
        if (segmentEndMs !== undefined) break;
        checkedMs = fireMs;
        yield fireMs;
      }
      if (segmentEndMs === undefined) return;
      fromMs = segmentEndMs - 1;
    }
  }

  /** Fire times in (afterMs, untilMs], newest first. */
  *descending(afterMs: number, untilMs: number): Generator<number, void, undefined> {
    let toMs = untilMs;
    while (toMs > afterMs) {
      const segment = this.segmentAt(toMs, toMs - afterMs + LOOKBACK_MS);
      const { startMs, offsetMs } = segment;
      const lowestWallMs = Math.max(afterMs + offsetMs, this.lowestWallMs(segment));
      // prev() is strictly before: start just above the wall time of toMs.
      const walls = this.wallClock(toMs + offsetMs + 1);
      for (let wallMs = previousWall(walls); wallMs !== undefined && wallMs > lowestWallMs; wallMs = previousWall(walls)) {
        yield wallMs - offsetMs;
      }
      if (startMs === undefined || startMs <= afterMs) return;
      if (this.firesAtGap(segment)) yield startMs;
      toMs = startMs - 1;
    }
  }

  /** The segment holding `atMs`, looking back `lookbackMs` for the change that began it. */
  private segmentAt(atMs: number, lookbackMs = LOOKBACK_MS): Segment {
    const offsetMs = this.zone.offsetMsAt(atMs);
    const startMs = this.zone.lastTransitionIn(atMs - lookbackMs, atMs);
    const previousOffsetMs = startMs === undefined ? offsetMs : this.zone.offsetMsAt(startMs - 1);
    return { startMs, offsetMs, previousOffsetMs };
  }

  /** Wall-clock times of the segment are those after this one (exclusive). */
  private lowestWallMs({ startMs, offsetMs, previousOffsetMs }: Segment): number {
    if (startMs === undefined) return -Infinity;
    // After a spring-forward, the first wall time (T+o) belongs to the fire at the gap.
    if (previousOffsetMs < offsetMs) return startMs + offsetMs;
    // After a fall-back, the repeated wall times fired before the change.
    if (previousOffsetMs > offsetMs && !this.everyHour) return startMs + previousOffsetMs - 1;
    return startMs + offsetMs - 1;
  }

  /** Whether the segment starts with a spring-forward over a wall time that matches. */
  private firesAtGap({ startMs, offsetMs, previousOffsetMs }: Segment): boolean {
    if (startMs === undefined || previousOffsetMs >= offsetMs) return false;
    const wallMs = nextWall(this.wallClock(startMs + previousOffsetMs - 1));
    return wallMs !== undefined && wallMs <= startMs + offsetMs;
  }

  /** A cron-parser iterator over wall-clock times (read as UTC), positioned at `wallMs`; a new one each time, over the parsed fields. */
  private wallClock(wallMs: number): CronExpression {
    return new CronExpression(this.fields, { tz: 'UTC', currentDate: new Date(wallMs), expression: this.expression });
  }
}

/** Parsed expressions, shared: many schedules use the same few ("0 * * * *"), and a parse is kilobytes. */
const parsed = new Map<string, CronFieldCollection>();
const MAX_PARSED = 10_000;

function parsedFields(expression: string): CronFieldCollection {
  let fields = parsed.get(expression);
  if (fields === undefined) {
    fields = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(0) }).fields;
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(expression, fields);
  }
  return fields;
}

/** cron-parser's error when its search (centuries of calendar steps) finds no match. */
const NO_MATCH_MESSAGE = 'Invalid expression, loop limit exceeded';

/** The next wall time strictly after the iterator's position; undefined when there is none. */
function nextWall(walls: CronExpression): number | undefined {
  return step(() => walls.next().getTime());
}

/** The previous wall time strictly before the iterator's position; undefined when there is none. */
function previousWall(walls: CronExpression): number | undefined {
  return step(() => walls.prev().getTime());
}

// hasNext()/hasPrev() would run each search twice.
function step(search: () => number): number | undefined {
  try {
    return search();
  } catch (err: unknown) {
    if (err instanceof Error && err.message === NO_MATCH_MESSAGE) return undefined;
    throw err;
  }
}
