import { expect } from 'chai';
import type { ScheduleSpec } from '../../../coordinator/schedules/schedule';
import { EngineHarness, settle } from '../../support/engine-harness';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function spec(name: string, overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name,
    cadence: { kind: 'every', intervalMs: SECOND },
    timezone: 'UTC',
    template: {
      queue: 'default',
      type: 'tick',
      payload: Buffer.from('{"n":1}'),
      contentType: 'application/json',
      priority: 0,
      maxAttempts: 3,
      retry: { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 },
      maxInfraFailures: null,
      timeoutMs: 0,
      labels: {},
    },
    overlap: 'allow',
    catchUp: 'all',
    catchUpLimit: 100,
    startAtMs: null,
    endAtMs: null,
    jitterMs: 0,
    ...overrides,
  };
}

/** Moves the fake clock in steps, letting the fires' commits run between them. */
async function advance(harness: EngineHarness, ms: number, stepMs = 100): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    harness.clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

/** The fire times of the schedule's tasks, oldest first, relative to `originMs`. */
async function fires(harness: EngineHarness, name: string, originMs: number): Promise<number[]> {
  const page = await harness.engine.list({ schedule: name }, 1000);
  return page.tasks.map((task) => (task.scheduleFireMs ?? NaN) - originMs).reverse();
}

describe('ScheduleRunner (fake clock, real store)', () => {
  let harness: EngineHarness;

  beforeEach(() => {
    harness = new EngineHarness();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('fires at each fire time; each task records its schedule, fire time and a key derived from them', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('every-second'));
    await advance(harness, 3 * SECOND);
    expect(await fires(harness, 'every-second', createdMs)).to.deep.equal([1000, 2000, 3000]);
    const [task] = (await harness.engine.list({ schedule: 'every-second' }, 1)).tasks;
    expect(task?.scheduleName).to.equal('every-second');
    expect(task?.idempotencyKey).to.equal(`schedule:every-second@${new Date(createdMs + 3000).toISOString()}`);
    const view = await harness.engine.schedules.get('every-second');
    expect(view.recentFires.map((fire) => fire.fireMs - createdMs)).to.deep.equal([3000, 2000, 1000]);
    expect(view.nextFireMs.map((ms) => ms - createdMs)).to.deep.equal([4000, 5000, 6000, 7000, 8000]);
  });

  it('catches up after an outage as each policy says', async () => {
    const createdMs = harness.clock.now();
    const everyMinute = { cadence: { kind: 'every', intervalMs: MINUTE } } as const;
    await harness.engine.schedules.create(spec('skip', { ...everyMinute, catchUp: 'skip' }));
    await harness.engine.schedules.create(spec('one', { ...everyMinute, catchUp: 'one' }));
    await harness.engine.schedules.create(spec('all', { ...everyMinute, catchUp: 'all' }));
    await harness.engine.schedules.create(spec('all-3', { ...everyMinute, catchUp: 'all', catchUpLimit: 3 }));
    await harness.engine.close();
    harness.clock.advance(10 * MINUTE + 30 * SECOND); // down: fire times 1..10 minutes are missed
    await harness.store.close();
    harness.open();
    await advance(harness, 100);
    expect(await fires(harness, 'skip', createdMs)).to.deep.equal([]);
    expect(await fires(harness, 'one', createdMs)).to.deep.equal([10 * MINUTE]);
    expect(await fires(harness, 'all', createdMs)).to.deep.equal(Array.from({ length: 10 }, (_, i) => (i + 1) * MINUTE));
    expect(await fires(harness, 'all-3', createdMs)).to.deep.equal([8 * MINUTE, 9 * MINUTE, 10 * MINUTE]);
    // Back on time: the next fire time fires under every policy.
    await advance(harness, 30 * SECOND, 10 * SECOND);
    for (const name of ['skip', 'one', 'all', 'all-3']) expect((await fires(harness, name, createdMs)).at(-1)).to.equal(11 * MINUTE);
  });

  it('never submits a fire time twice, even when the schedule forgot that it fired it', async () => {
    const createdMs = harness.clock.now();
    const created = await harness.engine.schedules.create(spec('once'));
    await advance(harness, 3 * SECOND);
    // As after a crash between fire and commit, or a second coordinator: the stored schedule is behind its tasks.
    await harness.store.write([{ kind: 'putSchedule', schedule: created.record }]);
    await harness.restart();
    await advance(harness, 1 * SECOND);
    expect(await fires(harness, 'once', createdMs)).to.deep.equal([1000, 2000, 3000, 4000]);
  });

  it('skips fires while the previous task is unfinished under "skip", and counts them', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('skipper', { overlap: 'skip' }));
    await advance(harness, 3 * SECOND); // no worker: the first task stays queued
    expect(await fires(harness, 'skipper', createdMs)).to.deep.equal([1000]);
    expect((await harness.engine.schedules.get('skipper')).record.skippedFires).to.equal(2);
    const [first] = (await harness.engine.list({ schedule: 'skipper' }, 1)).tasks;
    await harness.engine.cancel(first!.id);
    await advance(harness, SECOND);
    expect(await fires(harness, 'skipper', createdMs)).to.deep.equal([1000, 4000]);
  });

  it('keeps the latest skipped fire under "buffer_one" and submits it once the previous task finishes', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('buffered', { overlap: 'buffer_one' }));
    await advance(harness, 3 * SECOND);
    const view = await harness.engine.schedules.get('buffered');
    expect(view.record.bufferedFireMs! - createdMs).to.equal(3000);
    expect(view.record.skippedFires).to.equal(1); // 2000 was replaced by 3000
    const [first] = (await harness.engine.list({ schedule: 'buffered' }, 1)).tasks;
    await harness.engine.cancel(first!.id);
    await settle();
    expect(await fires(harness, 'buffered', createdMs)).to.deep.equal([1000, 3000]);
    expect((await harness.engine.schedules.get('buffered')).record.bufferedFireMs).to.equal(null);
  });

  it('fires nothing while paused, does not catch up on resume, and fires on trigger whatever its state', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('pausable'));
    await advance(harness, SECOND);
    await harness.engine.schedules.pause('pausable');
    await advance(harness, 5 * SECOND);
    expect(await fires(harness, 'pausable', createdMs)).to.deep.equal([1000]);
    expect((await harness.engine.schedules.get('pausable')).nextFireMs).to.deep.equal([]);
    const triggered = await harness.engine.schedules.trigger('pausable');
    expect(triggered.scheduleFireMs! - createdMs).to.equal(6000);
    await harness.engine.schedules.resume('pausable');
    await advance(harness, SECOND);
    expect(await fires(harness, 'pausable', createdMs)).to.deep.equal([1000, 6000, 7000]);
  });

  it('keeps schedules, pause and history across a restart, and deleting leaves the tasks', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('kept', { cadence: { kind: 'cron', expression: '*/2 * * * * *' } }));
    await harness.engine.schedules.create(spec('paused-kept'));
    await harness.engine.schedules.pause('paused-kept');
    await advance(harness, 4 * SECOND);
    await harness.restart();
    expect(harness.engine.schedules.size).to.equal(2);
    expect((await harness.engine.schedules.get('paused-kept')).record.paused).to.equal(true);
    await advance(harness, 2 * SECOND);
    expect(await fires(harness, 'kept', createdMs)).to.deep.equal([2000, 4000, 6000]);
    await harness.engine.schedules.delete('kept');
    await harness.restart();
    expect(harness.engine.schedules.size).to.equal(1);
    expect(await fires(harness, 'kept', createdMs)).to.have.length(3);
  });

  it('refuses a second schedule of the same name, naming the field', async () => {
    await harness.engine.schedules.create(spec('unique'));
    const err = await harness.engine.schedules.create(spec('unique')).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'ALREADY_EXISTS');
    expect((err as Error).message).to.match(/^spec\.name: a schedule named "unique" already exists/);
  });

  it('spreads fires by jitter without changing their fire times', async () => {
    const createdMs = harness.clock.now();
    harness.random = () => 0.5;
    await harness.restart();
    await harness.engine.schedules.create(spec('jittery', { cadence: { kind: 'every', intervalMs: 10 * SECOND }, jitterMs: 4 * SECOND }));
    await advance(harness, 10 * SECOND, SECOND);
    const [task] = (await harness.engine.list({ schedule: 'jittery' }, 1)).tasks;
    expect(task!.scheduleFireMs! - createdMs).to.equal(10_000);
    expect(task!.runAtMs - createdMs).to.equal(12_000);
  });

  it('submits the buffered fire when the previous task finishes while the buffering fire is being committed', async () => {
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('racy', { overlap: 'buffer_one' }));
    await advance(harness, SECOND);
    const [first] = (await harness.engine.list({ schedule: 'racy' }, 1)).tasks;
    harness.clock.advance(SECOND); // the 2 s fire is due: it will find the first task unfinished...
    const canceled = harness.engine.cancel(first!.id); // ...which finishes in the same commit as that fire's state
    await canceled;
    await settle();
    await settle();
    expect(await fires(harness, 'racy', createdMs)).to.deep.equal([1000, 2000]);
    expect((await harness.engine.schedules.get('racy')).record.bufferedFireMs).to.equal(null);
  });

  it('submits a long catch-up in transactions of 100, and a queue with room for some of them gets those', async () => {
    harness.limits = { maxQueuedTasks: 1_000_000, maxQueuedTasksPerQueue: 150, maxQueues: 100, maxWorkerSessions: 100, maxWorkerSessionsPerCredential: 100 };
    await harness.restart();
    const createdMs = harness.clock.now();
    await harness.engine.schedules.create(spec('backlog', { catchUp: 'all', catchUpLimit: 1000 }));
    await harness.engine.close();
    harness.clock.advance(250 * SECOND);
    await harness.store.close();
    harness.open();
    await advance(harness, 100);
    expect(await fires(harness, 'backlog', createdMs)).to.deep.equal(Array.from({ length: 100 }, (_, i) => (i + 1) * SECOND));
    const view = await harness.engine.schedules.get('backlog');
    expect(view.record.skippedFires).to.equal(150);
    expect(view.record.lastFireMs - createdMs).to.equal(250 * SECOND);
  });

  it('fires every one of many schedules due at the same moment', async () => {
    for (let i = 0; i < 200; i += 1) await harness.engine.schedules.create(spec(`many-${i}`, { cadence: { kind: 'cron', expression: '*/5 * * * * *' } }));
    await advance(harness, 5 * SECOND, 500);
    for (let i = 0; i < 3; i += 1) await settle(); // planned 64 a turn: a few turns more
    const page = await harness.engine.list({}, 1000);
    expect(new Set(page.tasks.map((task) => task.scheduleName)).size).to.equal(200);
  });

  it('refuses schedules whose payloads together would pass maxScheduleBytes, and frees their bytes on delete', async () => {
    harness.options = { maxScheduleBytes: 1000 };
    await harness.restart();
    const template = (bytes: number) => ({ ...spec('x').template, payload: Buffer.alloc(bytes, 0x20) });
    await harness.engine.schedules.create(spec('a', { template: template(600) }));
    const refused = await harness.engine.schedules.create(spec('b', { template: template(600) })).catch((err: { code: string; message: string }) => `${err.code}: ${err.message}`);
    expect(refused).to.match(/^RESOURCE_EXHAUSTED: spec\.task\.payload: .*setting maxScheduleBytes/);
    await harness.engine.schedules.delete('a');
    await harness.engine.schedules.create(spec('b', { template: template(600) }));
  });

  it('refuses schedules past maxSchedules, even when created at the same time', async () => {
    harness.options = { maxSchedules: 3 };
    await harness.restart();
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => harness.engine.schedules.create(spec(`s${i}`)).then(() => 'created', (err: { code: string }) => err.code)),
    );
    expect(outcomes.filter((o) => o === 'created')).to.have.length(3);
    expect(outcomes.filter((o) => o === 'RESOURCE_EXHAUSTED')).to.have.length(3);
  });
});
