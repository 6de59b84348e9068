import { expect } from 'chai';
import { FireTimes, MAX_COUNTED_CRON_FIRES, type FireTimesSpec } from '../../../coordinator/schedules/fire-times';

const SECOND_MS = 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

function cron(expression: string, timezone = 'UTC', bounds: Partial<FireTimesSpec> = {}): FireTimes {
  return new FireTimes({ cadence: { kind: 'cron', expression }, timezone, startAtMs: null, endAtMs: null, ...bounds }, 0);
}

function every(intervalMs: number, anchorMs: number, bounds: Partial<FireTimesSpec> = {}): FireTimes {
  return new FireTimes({ cadence: { kind: 'every', intervalMs }, timezone: 'UTC', startAtMs: null, endAtMs: null, ...bounds }, anchorMs);
}

/** Every fire time in (from, until], by next() and by between(): both must agree. */
function firesIn(times: FireTimes, from: string, until: string): string[] {
  const chained: number[] = [];
  for (let t = times.next(at(from)); t !== undefined && t <= at(until); t = times.next(t)) chained.push(t);
  const listed = times.between(at(from), at(until), 1000);
  expect(listed.fireTimesMs.map(iso)).to.deep.equal(chained.map(iso));
  expect(listed.omittedCount).to.equal(0);
  return chained.map(iso);
}

describe('FireTimes', () => {
  describe('every', () => {
    it('fires one interval after the anchor, and on, when no start is set', () => {
      const times = every(HOUR_MS, at('2026-05-01T10:20:00Z'));
      expect(iso(times.next(at('2026-05-01T10:20:00Z'))!)).to.equal('2026-05-01T11:20:00.000Z');
      expect(iso(times.next(at('2020-01-01T00:00:00Z'))!)).to.equal('2026-05-01T11:20:00.000Z');
      expect(iso(times.next(at('2026-05-01T13:20:00Z'))!)).to.equal('2026-05-01T14:20:00.000Z');
      expect(iso(times.next(at('2026-05-01T13:20:00.001Z'))!)).to.equal('2026-05-01T14:20:00.000Z');
    });

    it('fires at the start time itself, then every interval, when a start is set', () => {
      const startAtMs = at('2026-06-01T00:00:00Z');
      const times = every(15 * 60_000, at('2026-05-01T10:20:00Z'), { startAtMs });
      expect(iso(times.next(at('2026-05-01T10:20:00Z'))!)).to.equal('2026-06-01T00:00:00.000Z');
      expect(firesIn(times, '2026-05-31T23:59:59Z', '2026-06-01T00:30:00Z')).to.deep.equal([
        '2026-06-01T00:00:00.000Z',
        '2026-06-01T00:15:00.000Z',
        '2026-06-01T00:30:00.000Z',
      ]);
    });

    it('ignores the time zone', () => {
      const times = new FireTimes(
        { cadence: { kind: 'every', intervalMs: HOUR_MS }, timezone: 'America/New_York', startAtMs: at('2026-03-08T05:00:00Z'), endAtMs: null },
        0,
      );
      expect(firesIn(times, '2026-03-08T05:30:00Z', '2026-03-08T08:00:00Z')).to.deep.equal([
        '2026-03-08T06:00:00.000Z',
        '2026-03-08T07:00:00.000Z',
        '2026-03-08T08:00:00.000Z',
      ]);
    });

    it('fires at the end time, and never after it', () => {
      const times = every(HOUR_MS, 0, { startAtMs: at('2026-01-01T00:00:00Z'), endAtMs: at('2026-01-01T02:00:00Z') });
      expect(firesIn(times, '2025-12-31T00:00:00Z', '2026-01-02T00:00:00Z')).to.deep.equal([
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T01:00:00.000Z',
        '2026-01-01T02:00:00.000Z',
      ]);
      expect(times.next(at('2026-01-01T02:00:00Z'))).to.equal(undefined);
    });

    it('lists the latest fires of a month of one-second fires and counts the others, in closed form', () => {
      const anchorMs = at('2026-01-01T00:00:00Z');
      const times = every(SECOND_MS, anchorMs);
      const result = times.between(anchorMs, anchorMs + 30 * DAY_MS, 3);
      expect(result.fireTimesMs.map(iso)).to.deep.equal(['2026-01-30T23:59:58.000Z', '2026-01-30T23:59:59.000Z', '2026-01-31T00:00:00.000Z']);
      expect(result.omittedCount).to.equal(30 * 86_400 - 3);
      expect(result.omittedCountExact).to.equal(true);
    });
  });

  describe('cron', () => {
    it('reads 5 fields with seconds at 0, and 6 with seconds first', () => {
      expect(firesIn(cron('*/20 10 * * *'), '2026-04-01T10:20:00Z', '2026-04-02T10:00:00Z')).to.deep.equal([
        '2026-04-01T10:40:00.000Z',
        '2026-04-02T10:00:00.000Z',
      ]);
      expect(firesIn(cron('15,45 0 10 * * *'), '2026-04-01T10:00:00Z', '2026-04-01T10:01:00Z')).to.deep.equal([
        '2026-04-01T10:00:15.000Z',
        '2026-04-01T10:00:45.000Z',
      ]);
    });

    it('honours start and end times, both inclusive', () => {
      const times = cron('0 * * * *', 'UTC', { startAtMs: at('2026-04-01T10:00:00Z'), endAtMs: at('2026-04-01T12:00:00Z') });
      expect(firesIn(times, '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z')).to.deep.equal([
        '2026-04-01T10:00:00.000Z',
        '2026-04-01T11:00:00.000Z',
        '2026-04-01T12:00:00.000Z',
      ]);
      expect(times.next(at('2026-04-01T12:00:00Z'))).to.equal(undefined);
    });

    it('lists the latest `limit` fires and counts the older ones', () => {
      const result = cron('0 * * * *').between(at('2026-04-01T00:00:00Z'), at('2026-04-02T00:00:00Z'), 2);
      expect(result.fireTimesMs.map(iso)).to.deep.equal(['2026-04-01T23:00:00.000Z', '2026-04-02T00:00:00.000Z']);
      expect(result.omittedCount).to.equal(22);
      expect(result.omittedCountExact).to.equal(true);
    });

    it('counts a one-second cron over a month of downtime only up to a cap, and says so', () => {
      const fromMs = at('2026-01-01T00:00:00Z');
      const result = cron('* * * * * *').between(fromMs, fromMs + 30 * DAY_MS, 2);
      expect(result.fireTimesMs.map(iso)).to.deep.equal(['2026-01-30T23:59:59.000Z', '2026-01-31T00:00:00.000Z']);
      expect(result.omittedCount).to.equal(MAX_COUNTED_CRON_FIRES);
      expect(result.omittedCountExact).to.equal(false);
    });

    it('lists nothing, and omits nothing, with a limit of 0 over an empty range', () => {
      expect(cron('0 0 * * *').between(at('2026-04-01T01:00:00Z'), at('2026-04-01T02:00:00Z'), 0)).to.deep.equal({
        fireTimesMs: [],
        omittedCount: 0,
        omittedCountExact: true,
      });
    });
  });

  describe('cron across DST changes', () => {
    it('America/New_York spring-forward: 02:30 does not exist, and fires once at 03:00 EDT', () => {
      expect(firesIn(cron('30 2 * * *', 'America/New_York'), '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).to.deep.equal([
        '2026-03-07T07:30:00.000Z', // 02:30 EST
        '2026-03-08T07:00:00.000Z', // 03:00 EDT, the first instant after the gap
        '2026-03-09T06:30:00.000Z', // 02:30 EDT
      ]);
    });

    it('America/New_York fall-back: 01:30 happens twice, and fires the first time only', () => {
      expect(firesIn(cron('30 1 * * *', 'America/New_York'), '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).to.deep.equal([
        '2026-10-31T05:30:00.000Z', // 01:30 EDT
        '2026-11-01T05:30:00.000Z', // 01:30 EDT; not 06:30Z (01:30 EST)
        '2026-11-02T06:30:00.000Z', // 01:30 EST
      ]);
    });

    it('does not fire the repeated time when asked from inside the repeated hour', () => {
      const times = cron('30 1 * * *', 'America/New_York');
      expect(iso(times.next(at('2026-11-01T06:00:00Z'))!)).to.equal('2026-11-02T06:30:00.000Z');
      expect(iso(times.next(at('2026-11-01T05:30:00Z'))!)).to.equal('2026-11-02T06:30:00.000Z');
    });

    it('Europe/Berlin spring-forward: 02:30 fires once at 03:00 CEST', () => {
      expect(firesIn(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z')).to.deep.equal([
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-29T01:00:00.000Z', // 03:00 CEST
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
    });

    it('Europe/Berlin fall-back: 02:30 happens twice, and fires the first time only', () => {
      expect(firesIn(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).to.deep.equal([
        '2026-10-24T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST; not 01:30Z (02:30 CET)
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
    });

    it('an hourly cron fires once per real hour: 23 times on the spring-forward day, 25 on the fall-back day', () => {
      const times = cron('0 * * * *', 'America/New_York');
      // A local day runs from local midnight (inclusive) to the next (exclusive).
      const spring = firesIn(times, '2026-03-08T04:59:59Z', '2026-03-09T03:59:59Z');
      expect(spring).to.have.length(23);
      expect(spring.slice(0, 4)).to.deep.equal([
        '2026-03-08T05:00:00.000Z', // 00:00 EST
        '2026-03-08T06:00:00.000Z', // 01:00 EST
        '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 does not exist)
        '2026-03-08T08:00:00.000Z', // 04:00 EDT
      ]);
      const fall = firesIn(times, '2026-11-01T03:59:59Z', '2026-11-02T04:59:59Z');
      expect(fall).to.have.length(25);
      expect(fall.slice(0, 4)).to.deep.equal([
        '2026-11-01T04:00:00.000Z', // 00:00 EDT
        '2026-11-01T05:00:00.000Z', // 01:00 EDT
        '2026-11-01T06:00:00.000Z', // 01:00 EST
        '2026-11-01T07:00:00.000Z', // 02:00 EST
      ]);
    });

    it('Europe/Berlin hourly: 23 and 25 fires on the change days too', () => {
      const times = cron('0 * * * *', 'Europe/Berlin');
      expect(firesIn(times, '2026-03-28T22:59:59Z', '2026-03-29T21:59:59Z')).to.have.length(23);
      expect(firesIn(times, '2026-10-24T21:59:59Z', '2026-10-25T22:59:59Z')).to.have.length(25);
    });

    it('merges several skipped times into one fire, and one with an existing time at the gap end', () => {
      expect(firesIn(cron('*/20 2,3 * * *', 'America/New_York'), '2026-03-08T06:00:00Z', '2026-03-08T08:00:00Z')).to.deep.equal([
        '2026-03-08T07:00:00.000Z', // 02:00, 02:20, 02:40 and 03:00 EDT
        '2026-03-08T07:20:00.000Z',
        '2026-03-08T07:40:00.000Z',
      ]);
    });

    it('places a skipped midnight at the first instant of the day (America/Sao_Paulo, 2018)', () => {
      expect(firesIn(cron('0 0 * * *', 'America/Sao_Paulo'), '2018-11-03T00:00:00Z', '2018-11-05T12:00:00Z')).to.deep.equal([
        '2018-11-03T03:00:00.000Z',
        '2018-11-04T03:00:00.000Z', // 01:00 -02, the first instant of Nov 4
        '2018-11-05T02:00:00.000Z',
      ]);
    });

    it('lists the same fires newest-first with a limit as oldest-first without one', () => {
      const times = cron('*/10 * * * *', 'America/New_York');
      const all = times.between(at('2026-11-01T04:00:00Z'), at('2026-11-01T08:00:00Z'), 1000);
      const latest = times.between(at('2026-11-01T04:00:00Z'), at('2026-11-01T08:00:00Z'), 5);
      expect(all.fireTimesMs).to.have.length(24);
      expect(latest.fireTimesMs).to.deep.equal(all.fireTimesMs.slice(-5));
      expect(latest.omittedCount).to.equal(19);
    });
  });
});
