/**
 * The contract for schedules and queue settings (task-store-contract.ts runs it): what is put
 * is loaded back exactly, replaced by name, and deleted.
 */
import { expect } from 'chai';
import type { QueueSettingsOverride } from '../../../coordinator/core/queue-settings';
import type { ScheduleRecord } from '../../../coordinator/schedules/schedule';
import { InvalidArgumentError, NotFoundError } from '../../../shared/errors';
import { makeSchedule, makeTask, rejectionOf, type ContractStore } from './store-fixtures';

/** A schedule with every nullable field null, an interval cadence and an empty payload. */
function sparseSchedule(name: string): ScheduleRecord {
  const full = makeSchedule({ name });
  return {
    ...full,
    spec: {
      ...full.spec,
      cadence: { kind: 'every', intervalMs: 90_000 },
      timezone: 'UTC',
      template: { ...full.spec.template, payload: Buffer.alloc(0), maxInfraFailures: null, labels: {} },
      overlap: 'allow',
      catchUp: 'skip',
      startAtMs: null,
      endAtMs: null,
      jitterMs: 0,
    },
    paused: false,
    skippedFires: 0,
    bufferedFireMs: null,
  };
}

/** Defines the tests on the store that `current` returns (a fresh one per test). */
export function describeSettingsContract(current: () => ContractStore): void {
  describe('schedules', () => {
    it('loads what was put, every field, payload bytes exact, in name order', async () => {
      const store = current();
      const full = makeSchedule({ name: 'b-full' });
      const sparse = sparseSchedule('a-sparse');
      expect(store.loadSchedules()).to.deep.equal([]);
      await store.write([
        { kind: 'putSchedule', schedule: full },
        { kind: 'putSchedule', schedule: sparse },
      ]);
      const loaded = store.loadSchedules();
      expect(loaded).to.deep.equal([sparse, full]);
      expect(loaded[1]?.spec.template.payload.equals(full.spec.template.payload)).to.equal(true);
      expect(loaded[0]?.spec.template.payload).to.have.length(0);
    });

    it('replaces a schedule put again under its name', async () => {
      const store = current();
      const first = makeSchedule({ name: 'nightly' });
      await store.write([{ kind: 'putSchedule', schedule: first }]);
      const second: ScheduleRecord = {
        ...first,
        spec: { ...first.spec, cadence: { kind: 'every', intervalMs: 60_000 }, template: { ...first.spec.template, payload: Buffer.from('v2') } },
        paused: false,
        lastFireMs: first.lastFireMs + 60_000,
        skippedFires: first.skippedFires + 1,
        bufferedFireMs: null,
        updatedAtMs: first.updatedAtMs + 1,
      };
      await store.write([{ kind: 'putSchedule', schedule: second }]);
      expect(store.loadSchedules()).to.deep.equal([second]);
    });

    it('updates only a schedule\'s state, keeping its stored spec, and fails the write for an unknown one', async () => {
      const store = current();
      const first = makeSchedule({ name: 'nightly' });
      await store.write([{ kind: 'putSchedule', schedule: first }]);
      const fired: ScheduleRecord = {
        ...first,
        spec: { ...first.spec, template: { ...first.spec.template, payload: Buffer.from('not written') } },
        paused: !first.paused,
        lastFireMs: first.lastFireMs + 60_000,
        skippedFires: first.skippedFires + 2,
        bufferedFireMs: first.lastFireMs + 30_000,
        updatedAtMs: first.updatedAtMs + 5,
      };
      await store.write([{ kind: 'updateScheduleState', schedule: fired }]);
      expect(store.loadSchedules()).to.deep.equal([{ ...fired, spec: first.spec }]);
      const missing = await store.write([{ kind: 'updateScheduleState', schedule: makeSchedule({ name: 'gone' }) }]).then(
        () => 'written',
        (err: { code: string }) => err.code,
      );
      expect(missing).to.equal('NOT_FOUND');
    });

    it('deletes a schedule, ignores an unknown one, and keeps the tasks its fires submitted', async () => {
      const store = current();
      const task = makeTask({ scheduleName: 'nightly', scheduleFireMs: 1 });
      await store.write([
        { kind: 'putSchedule', schedule: makeSchedule({ name: 'nightly' }) },
        { kind: 'putSchedule', schedule: makeSchedule({ name: 'hourly' }) },
        { kind: 'insertTask', task },
      ]);
      await store.write([
        { kind: 'deleteSchedule', name: 'nightly' },
        { kind: 'deleteSchedule', name: 'no-such-schedule' },
      ]);
      expect(store.loadSchedules().map((schedule) => schedule.spec.name)).to.deep.equal(['hourly']);
      expect(store.listTasks({ schedule: 'nightly' }, 10).tasks.map((t) => t.id)).to.deep.equal([task.id]);
    });

    it('captures a schedule when write is called, and hands out copies', async () => {
      const store = current();
      const schedule = makeSchedule();
      const original = makeSchedule();
      const write = store.write([{ kind: 'putSchedule', schedule }]);
      schedule.paused = false;
      schedule.spec.template.payload.fill(7);
      (schedule.spec.template.labels as Record<string, string>).tenant = 'changed';
      await write;
      expect(store.loadSchedules()).to.deep.equal([original]);
      const [loaded] = store.loadSchedules();
      if (loaded === undefined) throw new Error('expected the schedule');
      loaded.lastFireMs = 0;
      (loaded.spec.template.labels as Record<string, string>).tenant = 'changed';
      expect(store.loadSchedules()).to.deep.equal([original]);
    });

    it('applies nothing of a write that fails after its schedule changes', async () => {
      const store = current();
      const kept = makeSchedule({ name: 'kept' });
      await store.write([{ kind: 'putSchedule', schedule: kept }]);
      const err = await rejectionOf(
        store.write([
          { kind: 'putSchedule', schedule: makeSchedule({ name: 'new' }) },
          { kind: 'deleteSchedule', name: 'kept' },
          { kind: 'putQueueSettings', queue: 'q', settings: { concurrency: 1 } },
          { kind: 'updateTask', task: makeTask() }, // missing: the whole write is refused
        ]),
      );
      expect(err).to.be.instanceOf(NotFoundError);
      expect(store.loadSchedules()).to.deep.equal([kept]);
      expect(store.loadQueueSettings()).to.deep.equal(new Map());
    });
  });

  describe('queue settings', () => {
    it('loads what was put, by queue, every field', async () => {
      const store = current();
      expect(store.loadQueueSettings()).to.deep.equal(new Map());
      const full = { concurrency: 8, ratePerSecond: 2.5, burst: 5, weight: 3, paused: true, retentionMs: 86_400_000, deadRetentionMs: 172_800_000 };
      await store.write([
        { kind: 'putQueueSettings', queue: 'emails', settings: full },
        { kind: 'putQueueSettings', queue: 'reports', settings: { paused: false, concurrency: 0 } },
      ]);
      expect(store.loadQueueSettings()).to.deep.equal(
        new Map<string, unknown>([
          ['emails', full],
          ['reports', { paused: false, concurrency: 0 }],
        ]),
      );
    });

    it('replaces a queue\'s settings whole, and deletes them when the override sets nothing', async () => {
      const store = current();
      await store.write([
        { kind: 'putQueueSettings', queue: 'emails', settings: { concurrency: 8, weight: 2 } },
        { kind: 'putQueueSettings', queue: 'reports', settings: { paused: true } },
        { kind: 'putQueueSettings', queue: 'other', settings: { burst: 1 } },
      ]);
      await store.write([{ kind: 'putQueueSettings', queue: 'emails', settings: { ratePerSecond: 1 } }]);
      expect(store.loadQueueSettings().get('emails')).to.deep.equal({ ratePerSecond: 1 });

      await store.write([
        { kind: 'putQueueSettings', queue: 'reports', settings: {} },
        { kind: 'putQueueSettings', queue: 'other', settings: { burst: undefined, paused: undefined } },
        { kind: 'putQueueSettings', queue: 'never-set', settings: {} },
      ]);
      expect(store.loadQueueSettings()).to.deep.equal(new Map([['emails', { ratePerSecond: 1 }]]));
    });

    it('refuses at once a setting it could not load back, naming it, and stores nothing of that write', async () => {
      const store = current();
      const bad: Array<[string, QueueSettingsOverride]> = [
        ['ratePerSecond', { concurrency: 1, ratePerSecond: Number.POSITIVE_INFINITY }],
        ['concurrency', { concurrency: Number.NaN }],
        ['paused', { paused: 'yes' as unknown as boolean }],
        ['bogus', { bogus: 1 } as QueueSettingsOverride],
      ];
      for (const [field, settings] of bad) {
        const err = await rejectionOf(store.write([{ kind: 'putQueueSettings', queue: 'emails', settings }]));
        expect(err, field).to.be.instanceOf(InvalidArgumentError);
        expect((err as Error).message, field).to.contain(`queue emails`).and.contain(field);
      }
      expect(store.loadQueueSettings()).to.deep.equal(new Map());
    });

    it('stores only the defined fields, as they were when write was called', async () => {
      const store = current();
      const settings: { concurrency?: number; weight?: number } = { concurrency: 4, weight: undefined };
      const write = store.write([{ kind: 'putQueueSettings', queue: 'emails', settings }]);
      settings.concurrency = 99;
      await write;
      const loaded = store.loadQueueSettings().get('emails');
      expect(loaded).to.deep.equal({ concurrency: 4 });
      expect(Object.keys(loaded ?? {})).to.deep.equal(['concurrency']);
    });
  });
}
