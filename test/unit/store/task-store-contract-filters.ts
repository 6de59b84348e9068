/**
 * The contract for listing by schedule and by creation time (task-store-contract.ts runs it),
 * alone, combined with the other filters, and paged.
 */
import { expect } from 'chai';
import type { TaskRecord } from '../../../coordinator/core/task';
import type { TaskFilter } from '../../../coordinator/core/task-store';
import { makeTask, uuidAt, type ContractStore } from './store-fixtures';

/** Creation time of the first task; the others follow 10 ms apart. */
const T0_MS = Date.UTC(2031, 5, 1);
const STEP_MS = 10;
const timeOf = (index: number): number => T0_MS + index * STEP_MS;

/** Defines the tests on the store that `current` returns (a fresh one per test). */
export function describeListingFiltersContract(current: () => ContractStore): void {
  describe('listing by schedule and creation time', () => {
    let store: ContractStore;
    let all: TaskRecord[];

    beforeEach(async () => {
      store = current();
      all = [];
      for (let i = 0; i < 30; i += 1) {
        const schedule = i % 3 === 0 ? 'nightly' : i % 3 === 1 ? 'hourly' : null;
        // Two tasks in the first millisecond of index 10: a bound must take all of a millisecond or none.
        const ids = i === 10 ? [uuidAt(timeOf(i), 0), uuidAt(timeOf(i), 1)] : [uuidAt(timeOf(i))];
        for (const id of ids) {
          all.push(
            makeTask({
              id,
              queue: i % 2 === 0 ? 'emails' : 'reports',
              type: i % 5 === 0 ? 'rare' : 'common',
              state: i % 4 === 0 ? 'succeeded' : 'queued',
              createdAtMs: timeOf(i),
              scheduleName: schedule,
              scheduleFireMs: schedule === null ? null : timeOf(i) - 1,
            }),
          );
        }
      }
      await store.write(all.map((task) => ({ kind: 'insertTask' as const, task })));
    });

    /** What the listing should return, newest first, by the records' own fields. */
    function expected(filter: TaskFilter, beforeId?: string): string[] {
      return all
        .filter(
          (t) =>
            (filter.queue === undefined || t.queue === filter.queue) &&
            (filter.state === undefined || t.state === filter.state) &&
            (filter.type === undefined || t.type === filter.type) &&
            (filter.schedule === undefined || t.scheduleName === filter.schedule) &&
            (filter.createdFromMs === undefined || t.createdAtMs >= filter.createdFromMs) &&
            (filter.createdBeforeMs === undefined || t.createdAtMs < filter.createdBeforeMs) &&
            (beforeId === undefined || t.id < beforeId),
        )
        .map((t) => t.id)
        .sort()
        .reverse();
    }

    function listed(filter: TaskFilter, beforeId?: string): string[] {
      return store.listTasks(filter, 1000, beforeId).tasks.map((t) => t.id);
    }

    it('filters by schedule, alone and with the other filters', () => {
      const cases: TaskFilter[] = [
        { schedule: 'nightly' },
        { schedule: 'hourly', queue: 'reports' },
        { schedule: 'nightly', state: 'succeeded' },
        { schedule: 'hourly', type: 'rare' },
        { schedule: 'nightly', queue: 'emails', state: 'queued', type: 'common' },
        { schedule: 'nobody' },
      ];
      for (const filter of cases) expect(listed(filter), JSON.stringify(filter)).to.deep.equal(expected(filter));
      expect(listed({ schedule: 'nightly' })).to.have.length(10);
    });

    it('filters by creation time: from is inclusive, before exclusive, whole milliseconds', () => {
      const cases: TaskFilter[] = [
        { createdFromMs: timeOf(10) },
        { createdBeforeMs: timeOf(10) },
        { createdFromMs: timeOf(10), createdBeforeMs: timeOf(20) },
        { createdFromMs: timeOf(10) - 0.5, createdBeforeMs: timeOf(20) + 0.5 }, // fractions round up
        { createdFromMs: timeOf(10) + 1, createdBeforeMs: timeOf(10) + 2 }, // inside a gap
        { createdFromMs: timeOf(20), createdBeforeMs: timeOf(10) }, // an empty range
        { createdFromMs: 0 },
        { createdBeforeMs: Number.MAX_SAFE_INTEGER },
      ];
      for (const filter of cases) expect(listed(filter), JSON.stringify(filter)).to.deep.equal(expected(filter));
      expect(listed({ createdFromMs: timeOf(10), createdBeforeMs: timeOf(10) + 1 })).to.have.length(2);
    });

    it('combines creation time with the other filters', () => {
      const range = { createdFromMs: timeOf(5), createdBeforeMs: timeOf(25) };
      const cases: TaskFilter[] = [
        { ...range, queue: 'emails' },
        { ...range, state: 'succeeded' },
        { ...range, type: 'rare' },
        { ...range, schedule: 'hourly' },
        { ...range, queue: 'reports', state: 'queued', type: 'common', schedule: 'nightly' },
        { createdFromMs: timeOf(12), schedule: 'nightly', queue: 'emails' },
      ];
      for (const filter of cases) expect(listed(filter), JSON.stringify(filter)).to.deep.equal(expected(filter));
    });

    it('honours beforeId with a creation time bound, whichever is lower', () => {
      const filter = { createdBeforeMs: timeOf(20), schedule: 'nightly' };
      const below = uuidAt(timeOf(9));
      const above = uuidAt(timeOf(27));
      expect(listed(filter, below)).to.deep.equal(expected(filter, below));
      expect(listed(filter, above)).to.deep.equal(expected(filter));
      expect(listed({ createdFromMs: timeOf(15) }, uuidAt(timeOf(15)))).to.deep.equal([]);
    });

    it('pages through a filtered range with beforeId until the last page', () => {
      const filter: TaskFilter = { createdFromMs: timeOf(3), createdBeforeMs: timeOf(28), schedule: 'nightly' };
      const seen: string[] = [];
      let beforeId: string | undefined;
      let pages = 0;
      do {
        const page = store.listTasks(filter, 3, beforeId);
        seen.push(...page.tasks.map((t) => t.id));
        beforeId = page.nextBeforeId;
        pages += 1;
      } while (beforeId !== undefined && pages < 100);
      expect(seen).to.deep.equal(expected(filter)); // indexes 3, 6, ..., 27: 9 tasks
      expect(pages).to.equal(3);
    });
  });
}
