import { expect } from 'chai';
import { CronExpressionParser } from 'cron-parser';
import { FireTimes } from '../../../coordinator/schedules/fire-times';

/**
 * The DST rules checked against a brute force that reads them literally: walk every minute of
 * a window around each clock change and decide, for each instant, whether it fires.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

function offsetMsAt(zone: string, ms: number): number {
  const key = `${zone}@${ms}`;
  let offsetMs = offsets.get(key);
  if (offsetMs === undefined) {
    offsetMs = computeOffsetMs(zone, ms);
    offsets.set(key, offsetMs);
  }
  return offsetMs;
}

function computeOffsetMs(zone: string, ms: number): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(ms);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - ms;
}

/** The literal rules, minute by minute over [fromMs, toMs]. */
function bruteForce(expression: string, zone: string, fromMs: number, toMs: number): number[] {
  const walls = CronExpressionParser.parse(expression, { tz: 'UTC' });
  const matches = (wallMs: number): boolean => walls.includesDate(new Date(wallMs));
  const everyHour = walls.fields.hour.values.length === 24;
  const fires: number[] = [];
  for (let t = fromMs; t <= toMs; t += MINUTE_MS) {
    const offsetMs = offsetMsAt(zone, t);
    const previousOffsetMs = offsetMsAt(zone, t - MINUTE_MS);
    const wallMs = t + offsetMs;
    if (previousOffsetMs < offsetMs) {
      // A spring-forward at t: the skipped wall times and the first one after fire once, now.
      let gapFires = false;
      for (let w = t + previousOffsetMs; w <= wallMs; w += MINUTE_MS) gapFires ||= matches(w);
      if (gapFires) fires.push(t);
      continue;
    }
    if (!matches(wallMs)) continue;
    // The same wall time earlier, under an offset of the last day: this is its second time.
    const repeated = [offsetMsAt(zone, t - DAY_MS), offsetMsAt(zone, t + DAY_MS)].some(
      (o) => wallMs - o < t && offsetMsAt(zone, wallMs - o) === o,
    );
    if (!repeated || everyHour) fires.push(t);
  }
  return fires;
}

const CHANGES: ReadonlyArray<{ zone: string; atIso: string }> = [
  { zone: 'America/New_York', atIso: '2026-03-08T07:00:00Z' },
  { zone: 'America/New_York', atIso: '2026-11-01T06:00:00Z' },
  { zone: 'Europe/Berlin', atIso: '2026-03-29T01:00:00Z' },
  { zone: 'Europe/Berlin', atIso: '2026-10-25T01:00:00Z' },
  // Half-hour changes.
  { zone: 'Australia/Lord_Howe', atIso: '2026-04-04T15:00:00Z' },
  { zone: 'Australia/Lord_Howe', atIso: '2026-10-03T15:30:00Z' },
  // Midnight skipped.
  { zone: 'America/Sao_Paulo', atIso: '2018-11-04T03:00:00Z' },
  { zone: 'America/Sao_Paulo', atIso: '2019-02-17T02:00:00Z' },
];

const EXPRESSIONS = ['30 2 * * *', '30 1 * * *', '0 * * * *', '*/20 * * * *', '*/15 1-3 * * *', '0 0 * * *', '45 23,0 * * *', '10 2 * * 0'];

describe('cron fire times across DST changes, against the rules read literally', () => {
  for (const { zone, atIso } of CHANGES) {
    it(`${zone} around ${atIso}`, () => {
      const fromMs = Date.parse(atIso) - DAY_MS;
      const toMs = Date.parse(atIso) + DAY_MS;
      expect(offsetMsAt(zone, Date.parse(atIso) - 1), 'the zone changes its clock there').to.not.equal(offsetMsAt(zone, Date.parse(atIso)));
      for (const expression of EXPRESSIONS) {
        const times = new FireTimes({ cadence: { kind: 'cron', expression }, timezone: zone, startAtMs: null, endAtMs: null }, 0);
        const expected = bruteForce(expression, zone, fromMs, toMs).map((ms) => new Date(ms).toISOString());
        const listed = times.between(fromMs - 1, toMs, 10_000).fireTimesMs.map((ms) => new Date(ms).toISOString());
        const chained: string[] = [];
        for (let t = times.next(fromMs - 1); t !== undefined && t <= toMs; t = times.next(t)) chained.push(new Date(t).toISOString());
        expect(listed, `${expression}, newest first`).to.deep.equal(expected);
        expect(chained, `${expression}, oldest first`).to.deep.equal(expected);
      }
    });
  }
});
