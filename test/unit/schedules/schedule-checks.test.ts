import { expect } from 'chai';
import {
  cadenceMinGapMs,
  checkCronExpression,
  checkInterval,
  checkJitter,
  checkTimezone,
} from '../../../coordinator/schedules/schedule-checks';
import { InvalidArgumentError } from '../../../shared/errors';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The message of the InvalidArgumentError `check` throws. */
function refusal(check: () => void): string {
  try {
    check();
  } catch (err: unknown) {
    expect(err).to.be.instanceOf(InvalidArgumentError);
    return (err as InvalidArgumentError).message;
  }
  expect.fail('expected an InvalidArgumentError');
}

describe('schedule checks', () => {
  describe('checkCronExpression', () => {
    it('accepts 5 and 6 fields, names, L and #', () => {
      for (const expression of ['*/5 * * * *', '0 30 9 * * 1-5', '0 0 L * *', '0 9 * * MON#1', ' 0  12 * JAN,JUL sun ']) {
        expect(() => checkCronExpression(expression, 'spec.cron'), expression).to.not.throw();
      }
    });

    it("refuses a malformed expression with cron-parser's reason", () => {
      expect(refusal(() => checkCronExpression('a b c d e', 'spec.cron'))).to.equal(
        'spec.cron: "a b c d e" is not a cron expression: Invalid characters, got value: a',
      );
      expect(refusal(() => checkCronExpression('60 * * * *', 'spec.cron'))).to.equal(
        'spec.cron: "60 * * * *" is not a cron expression: Constraint error, got value 60 expected range 0-59',
      );
      expect(refusal(() => checkCronExpression('0 0 31 4 *', 'spec.cron'))).to.match(/^spec\.cron: "0 0 31 4 \*" is not a cron expression: /);
    });

    it('refuses fewer than 5 fields and more than 6, which cron-parser would take or name vaguely', () => {
      expect(refusal(() => checkCronExpression('x y', 'spec.cron'))).to.equal(
        'spec.cron: "x y" is not a cron expression: it has 2 fields, not 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)',
      );
      expect(refusal(() => checkCronExpression('', 'spec.cron'))).to.match(/^spec\.cron: "" is not a cron expression: it has 0 fields/);
      expect(refusal(() => checkCronExpression('@daily', 'spec.cron'))).to.match(/it has 1 field, not 5/);
      expect(refusal(() => checkCronExpression('0 0 0 * * * 2026', 'spec.cron'))).to.match(/it has 7 fields/);
    });

    it('refuses H, whose values cron-parser draws anew at every parse', () => {
      expect(refusal(() => checkCronExpression('H 9 * * *', 'spec.cron'))).to.equal(
        'spec.cron: "H 9 * * *" uses H (hashed values), which schedules do not support',
      );
      expect(refusal(() => checkCronExpression('0 9 * * 1,H', 'spec.cron'))).to.match(/uses H/);
    });

    it('refuses an expression that fires less often than once a year, and takes a yearly one', () => {
      expect(refusal(() => checkCronExpression('0 0 29 2 *', 'spec.cron'))).to.equal(
        'spec.cron: "0 0 29 2 *" fires less often than once a year, which schedules do not support',
      );
      expect(refusal(() => checkCronExpression('0 0 0 29 2 *', 'spec.cron'))).to.match(/fires less often than once a year/);
      // Both day fields restricted: a day matching either fires, so every Monday of February does.
      for (const expression of ['0 0 1 1 *', '59 23 31 12 *', '0 0 29 2 MON']) {
        expect(() => checkCronExpression(expression, 'spec.cron'), expression).to.not.throw();
      }
    });

    it('refuses an expression longer than 256 characters', () => {
      expect(refusal(() => checkCronExpression(`${'1,'.repeat(200)}2 * * * *`, 'spec.cron'))).to.equal('spec.cron: longer than 256 characters');
    });
  });

  describe('checkTimezone', () => {
    it('accepts IANA zones, including links and UTC', () => {
      for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Etc/GMT+5', 'US/Eastern']) {
        expect(() => checkTimezone(zone, 'spec.timezone'), zone).to.not.throw();
      }
    });

    it('answers the canonical spelling of a zone', () => {
      expect(checkTimezone('europe/berlin', 'spec.timezone')).to.equal('Europe/Berlin');
      expect(checkTimezone('America/New_York', 'spec.timezone')).to.equal('America/New_York');
    });

    it('refuses an unknown zone', () => {
      expect(refusal(() => checkTimezone('Mars/Olympus', 'spec.timezone'))).to.equal('spec.timezone: "Mars/Olympus" is not an IANA time zone');
      expect(refusal(() => checkTimezone('+01:00', 'spec.timezone'))).to.equal('spec.timezone: "+01:00" is not an IANA time zone');
    });
  });

  describe('checkInterval', () => {
    it('accepts one second and more', () => {
      expect(() => checkInterval(1000, 'spec.every')).to.not.throw();
      expect(() => checkInterval(DAY_MS, 'spec.every')).to.not.throw();
    });

    it('refuses less than a second, zero included', () => {
      expect(refusal(() => checkInterval(999, 'spec.every'))).to.equal('spec.every: 999ms is shorter than the minimum of 1000ms');
      expect(refusal(() => checkInterval(0, 'spec.every'))).to.equal('spec.every: 0ms is shorter than the minimum of 1000ms');
    });

    it('refuses a fraction of a millisecond, which would not survive as a fire time', () => {
      expect(refusal(() => checkInterval(1500.5, 'spec.every'))).to.equal('spec.every: must be a whole number of milliseconds, got 1500.5');
    });
  });

  describe('checkJitter', () => {
    it('accepts zero and up to the gap between fires', () => {
      expect(() => checkJitter(0, MINUTE_MS, 'spec.jitter')).to.not.throw();
      expect(() => checkJitter(MINUTE_MS, MINUTE_MS, 'spec.jitter')).to.not.throw();
    });

    it('refuses a jitter longer than the gap between fires', () => {
      expect(refusal(() => checkJitter(MINUTE_MS + 1, MINUTE_MS, 'spec.jitter'))).to.equal('spec.jitter: 60001ms is longer than the 60000ms between fires');
    });

    it('refuses a negative jitter', () => {
      expect(refusal(() => checkJitter(-1, MINUTE_MS, 'spec.jitter'))).to.equal('spec.jitter: must not be negative, got -1');
    });
  });

  describe('cadenceMinGapMs', () => {
    it('is the interval of an every cadence', () => {
      expect(cadenceMinGapMs({ kind: 'every', intervalMs: 90_000 })).to.equal(90_000);
    });

    it('is the shortest gap between consecutive cron fires on the wall clock', () => {
      expect(cadenceMinGapMs({ kind: 'cron', expression: '*/7 * * * *' })).to.equal(4 * MINUTE_MS); // :56 → :00
      expect(cadenceMinGapMs({ kind: 'cron', expression: '0 9,10 * * *' })).to.equal(60 * MINUTE_MS);
      expect(cadenceMinGapMs({ kind: 'cron', expression: '0 9 * * 1-5' })).to.equal(DAY_MS);
      expect(cadenceMinGapMs({ kind: 'cron', expression: '0 0 L * *' })).to.equal(28 * DAY_MS); // Jan 31 → Feb 28
      expect(cadenceMinGapMs({ kind: 'cron', expression: '*/10 * * * * *' })).to.equal(10_000);
    });

    it('refuses an invalid expression, naming the field', () => {
      expect(refusal(() => cadenceMinGapMs({ kind: 'cron', expression: 'x' }, 'spec.cron'))).to.match(/^spec\.cron: "x" is not a cron expression/);
    });
  });
});
