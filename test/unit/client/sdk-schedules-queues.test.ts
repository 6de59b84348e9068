import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { BatonClient } from '../../../client/client';
import { BatonError } from '../../../shared/errors';
import type { UpdateQueueRequest } from '../../../shared/gen/baton/v1/queue';
import { OverlapPolicy, Schedule, type CreateScheduleRequest } from '../../../shared/gen/baton/v1/schedule';
import type { ListTasksRequest } from '../../../shared/gen/baton/v1/task_queue';
import { RecordingTaskQueue, grpcError } from './support/recording-task-queue';

describe('BatonClient: schedules, queues and the new list filters, as the coordinator receives them', () => {
  let server: RecordingTaskQueue;
  let client: BatonClient;

  before(async () => {
    server = await RecordingTaskQueue.start();
    client = new BatonClient({ address: server.address });
  });

  afterEach(() => server.reset());

  after(() => {
    client?.close();
    server?.close();
  });

  it('creates and updates a schedule from friendly options, and returns the schedule', async () => {
    const created = await client.schedules.create('nightly', {
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      overlap: 'allow',
      task: { type: 'report', payload: { kind: 'daily' }, queue: 'reports' },
    });
    expect(created.spec?.name).to.equal('nightly');
    await client.schedules.update('nightly', { every: '1h', task: { type: 'report' } });
    const [create] = server.requests<CreateScheduleRequest>('createSchedule');
    expect(create?.spec).to.deep.include({ name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', overlap: OverlapPolicy.OVERLAP_POLICY_ALLOW });
    expect(create?.spec?.task).to.deep.include({ type: 'report', queue: 'reports', contentType: 'application/json' });
    expect(JSON.parse(create?.spec?.task?.payload.toString() ?? '')).to.deep.equal({ kind: 'daily' });
    const [update] = server.requests<CreateScheduleRequest>('updateSchedule');
    expect(update?.spec).to.deep.include({ name: 'nightly', cron: '', every: { seconds: 3600, nanos: 0 } });
  });

  it('sends nothing when an option cannot be encoded', async () => {
    const err = await client.schedules.create('s', { every: 'soon', task: { type: 't' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BatonError).with.property('message').that.matches(/^every: expected a duration/);
    expect(server.calls).to.deep.equal([]);
  });

  it('gets, pauses, resumes, deletes and triggers by name, and lists a page', async () => {
    server.answers.listSchedules = () => ({ schedules: [Schedule.fromPartial({ spec: { name: 'a' } })], nextPageToken: 'next' });
    expect((await client.schedules.get('a')).spec?.name).to.equal('a');
    expect((await client.schedules.pause('a')).spec?.name).to.equal('a');
    expect((await client.schedules.resume('a')).spec?.name).to.equal('a');
    expect(await client.schedules.delete('a')).to.equal(undefined);
    expect((await client.schedules.trigger('a')).id).to.equal('task-of-trigger');
    const page = await client.schedules.list({ pageSize: 10, pageToken: 'p' });
    expect(page.nextPageToken).to.equal('next');
    expect(page.schedules.map((schedule) => schedule.spec?.name)).to.deep.equal(['a']);
    expect(server.calls.map((call) => [call.method, call.request])).to.deep.equal([
      ['getSchedule', { name: 'a' }],
      ['pauseSchedule', { name: 'a' }],
      ['resumeSchedule', { name: 'a' }],
      ['deleteSchedule', { name: 'a' }],
      ['triggerSchedule', { name: 'a' }],
      ['listSchedules', { pageSize: 10, pageToken: 'p' }],
    ]);
  });

  it("passes the coordinator's refusals on as BatonErrors", async () => {
    server.answers.createSchedule = () => {
      throw grpcError(status.ALREADY_EXISTS, 'schedule nightly already exists');
    };
    const err = await client.schedules.create('nightly', { cron: '* * * * *', task: { type: 't' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BatonError).and.include({ code: 'ALREADY_EXISTS', message: 'schedule nightly already exists' });
  });

  it('updates a queue with a field mask that survives the wire, and reads queues', async () => {
    const queue = await client.queues.update('mail', { concurrency: 4, deadRetention: '1d', retention: null });
    expect(queue.name).to.equal('mail');
    const [request] = server.requests<UpdateQueueRequest>('updateQueue');
    expect(request?.updateMask).to.deep.equal(['concurrency', 'retention', 'dead_retention']);
    expect(request?.settings).to.deep.include({ concurrency: 4, deadRetention: { seconds: 86_400, nanos: 0 }, retention: undefined });
    await client.queues.get('mail');
    await client.queues.pause('mail');
    await client.queues.resume('mail');
    expect(await client.queues.list()).to.deep.equal([]);
    expect(server.calls.slice(1).map((call) => [call.method, call.request])).to.deep.equal([
      ['getQueue', { name: 'mail' }],
      ['pauseQueue', { name: 'mail' }],
      ['resumeQueue', { name: 'mail' }],
      ['listQueues', {}],
    ]);
  });

  it('lists tasks by schedule and creation time', async () => {
    const createdAfter = new Date('2030-01-01T00:00:00Z');
    const createdBefore = new Date('2030-01-02T00:00:00Z');
    await client.list({ schedule: 'nightly', createdAfter, createdBefore });
    await client.list();
    const [filtered, unfiltered] = server.requests<ListTasksRequest>('listTasks');
    expect(filtered).to.deep.include({ schedule: 'nightly', createdAfter, createdBefore });
    expect(unfiltered).to.deep.include({ schedule: '', createdAfter: undefined, createdBefore: undefined });
    const err = await client.list({ createdAfter: new Date(Number.NaN) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BatonError).with.property('message', 'createdAfter: expected a valid Date');
  });

  it('refuses calls once closed', async () => {
    const closed = new BatonClient({ address: server.address });
    closed.close();
    const err = await closed.schedules.get('a').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BatonError).with.property('code', 'FAILED_PRECONDITION');
  });
});
