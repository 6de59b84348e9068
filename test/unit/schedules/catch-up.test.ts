import { expect } from 'chai';
import fc from 'fast-check';
import { MISSED_AFTER_MS, planDueFires } from '../../../coordinator/schedules/catch-up';
import { FireTimes, MAX_COUNTED_CRON_FIRES } from '../../../coordinator/schedules/fire-times';
import type { CatchUpPolicy } from '../../../coordinator/schedules/schedule';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const CREATED_MS = Date.parse('2026-05-01T00:00:00Z');

/** Every minute from creation; the coordinator dealt with the fires up to CREATED_MS + 10 min, then went down for an hour. */
const times = new FireTimes({ cadence: { kind: 'every', intervalMs: MINUTE_MS }, timezone: 'UTC', startAtMs: null, endAtMs: null }, CREATED_MS);
const LAST_FIRE_MS = CREATED_MS + 10 * MINUTE_MS;
const minute = (n: number): number => CREATED_MS + n * MINUTE_MS;

function plan(policy: CatchUpPolicy, nowMs: number, limit = 100) {
  return planDueFires({ times, policy, limit, lastFireMs: LAST_FIRE_MS, nowMs });
}

describe('planDueFires', () => {
  it('fires a fire time that is due now under every policy, and moves lastFireMs to it', () => {
    for (const policy of ['skip', 'one', 'all'] as const) {
      expect(plan(policy, minute(11)), policy).to.deep.equal({ fire: [minute(11)], dropped: 0, droppedExact: true, lastFireMs: minute(11) });
    }
  });

  it('plans nothing and keeps lastFireMs when nothing is due', () => {
    for (const policy of ['skip', 'one', 'all'] as const) {
      expect(plan(policy, minute(10) + 30 * SECOND_MS), policy).to.deep.equal({ fire: [], dropped: 0, droppedExact: true, lastFireMs: LAST_FIRE_MS });
      // A clock that stepped back.
      expect(plan(policy, minute(5)), policy).to.deep.equal({ fire: [], dropped: 0, droppedExact: true, lastFireMs: LAST_FIRE_MS });
    }
  });

  it('counts a fire time later than now minus the grace as on time, not missed', () => {
    const nowMs = minute(11) + MISSED_AFTER_MS - 1;
    expect(plan('skip', nowMs).fire).to.deep.equal([minute(11)]);
    expect(plan('skip', minute(11) + MISSED_AFTER_MS)).to.deep.equal({ fire: [], dropped: 1, droppedExact: true, lastFireMs: minute(11) });
    const graceful = planDueFires({ times, policy: 'skip', limit: 100, lastFireMs: LAST_FIRE_MS, nowMs: minute(12), missedAfterMs: 2 * MINUTE_MS });
    expect(graceful.fire).to.deep.equal([minute(11), minute(12)]);
  });

  describe('after an hour down, woken 5 s after a fire time (49 missed, 1 on time)', () => {
    const nowMs = minute(60) + 5 * SECOND_MS;

    it('skip: fires the on-time fire only and drops the missed ones', () => {
      expect(plan('skip', nowMs)).to.deep.equal({ fire: [minute(60)], dropped: 49, droppedExact: true, lastFireMs: minute(60) });
    });

    it('one: fires the latest missed fire time for all of them, then the on-time one', () => {
      expect(plan('one', nowMs)).to.deep.equal({ fire: [minute(59), minute(60)], dropped: 48, droppedExact: true, lastFireMs: minute(60) });
    });

    it('all: fires every due fire time, oldest first', () => {
      const result = plan('all', nowMs);
      expect(result.fire).to.have.length(50);
      expect(result.fire[0]).to.equal(minute(11));
      expect(result.fire.at(-1)).to.equal(minute(60));
      expect(result.dropped).to.equal(0);
      expect(result.lastFireMs).to.equal(minute(60));
    });

    it('all: keeps the latest `limit` and drops the older ones', () => {
      expect(plan('all', nowMs, 3)).to.deep.equal({
        fire: [minute(58), minute(59), minute(60)],
        dropped: 47,
        droppedExact: true,
        lastFireMs: minute(60),
      });
    });

    it('one: never plans more than `limit` fires, keeping the latest', () => {
      expect(plan('one', nowMs, 1)).to.deep.equal({ fire: [minute(60)], dropped: 49, droppedExact: true, lastFireMs: minute(60) });
    });

    it('moves lastFireMs past the due fire times even when a limit of 0 fires none', () => {
      for (const policy of ['skip', 'one', 'all'] as const) {
        expect(plan(policy, nowMs, 0), policy).to.deep.equal({ fire: [], dropped: 50, droppedExact: true, lastFireMs: minute(60) });
      }
    });
  });

  describe('after an hour down, woken 30 s after a fire time (all 50 missed)', () => {
    const nowMs = minute(60) + 30 * SECOND_MS;

    it('skip: fires nothing, drops all, and still moves lastFireMs past them', () => {
      expect(plan('skip', nowMs)).to.deep.equal({ fire: [], dropped: 50, droppedExact: true, lastFireMs: minute(60) });
    });

    it('one: fires the latest missed fire time', () => {
      expect(plan('one', nowMs)).to.deep.equal({ fire: [minute(60)], dropped: 49, droppedExact: true, lastFireMs: minute(60) });
    });

    it('all: fires them all', () => {
      expect(plan('all', nowMs).fire).to.have.length(50);
    });
  });

  it('reports a lower bound of dropped fires for a one-second cron after a month down', () => {
    const cron = new FireTimes({ cadence: { kind: 'cron', expression: '* * * * * *' }, timezone: 'UTC', startAtMs: null, endAtMs: null }, CREATED_MS);
    const nowMs = CREATED_MS + 30 * DAY_MS + 500;
    const result = planDueFires({ times: cron, policy: 'one', limit: 100, lastFireMs: CREATED_MS, nowMs });
    // 10 s of grace: fire times in (now - 10 s, now] are on time.
    expect(result.fire).to.have.length(11);
    expect(result.fire[0]).to.equal(CREATED_MS + 30 * DAY_MS - 10 * SECOND_MS);
    expect(result.fire.at(-1)).to.equal(CREATED_MS + 30 * DAY_MS);
    expect(result.lastFireMs).to.equal(CREATED_MS + 30 * DAY_MS);
    expect(result.droppedExact).to.equal(false);
    expect(result.dropped).to.be.at.least(MAX_COUNTED_CRON_FIRES);
  });

  it('fires only due times, accounts for every due time, and moves lastFireMs to the latest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CatchUpPolicy>('skip', 'one', 'all'),
        fc.integer({ min: 1, max: 120 }).map((s) => s * SECOND_MS),
        fc.integer({ min: 0, max: 5 * MINUTE_MS }),
        fc.integer({ min: 0, max: 20 * MINUTE_MS }),
        fc.integer({ min: 0, max: 12 }),
        (policy, intervalMs, lastAfterCreatedMs, downMs, limit) => {
          const every = new FireTimes({ cadence: { kind: 'every', intervalMs }, timezone: 'UTC', startAtMs: null, endAtMs: null }, CREATED_MS);
          const lastFireMs = CREATED_MS + lastAfterCreatedMs;
          const nowMs = lastFireMs + downMs;
          const due: number[] = [];
          for (let t = every.next(lastFireMs); t !== undefined && t <= nowMs; t = every.next(t)) due.push(t);
          const result = planDueFires({ times: every, policy, limit, lastFireMs, nowMs });
          expect(result.fire.length).to.be.at.most(limit);
          expect(result.fire.every((t) => due.includes(t))).to.equal(true);
          expect([...result.fire].sort((a, b) => a - b)).to.deep.equal(result.fire);
          expect(result.fire.length + result.dropped).to.equal(due.length);
          expect(result.lastFireMs).to.equal(due.at(-1) ?? lastFireMs);
          const onTime = due.filter((t) => t > nowMs - MISSED_AFTER_MS);
          if (policy === 'all') expect(result.fire).to.deep.equal(due.slice(Math.max(0, due.length - limit)));
          if (policy === 'skip') expect(result.fire).to.deep.equal(onTime.slice(Math.max(0, onTime.length - limit)));
        },
      ),
    );
  });
});
