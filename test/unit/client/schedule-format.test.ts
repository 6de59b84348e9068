import { expect } from 'chai';
import { formatScheduleBlock, formatScheduleTable, scheduleToJson } from '../../../client/cli/schedule-format';
import { CatchUpPolicy, OverlapPolicy, Schedule } from '../../../shared/gen/baton/v1/schedule';
import { TaskState } from '../../../shared/gen/baton/v1/task';

const FULL = Schedule.fromPartial({
  spec: {
    name: 'nightly',
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
    overlap: OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE,
    catchUp: CatchUpPolicy.CATCH_UP_POLICY_ALL,
    catchUpLimit: 0,
    startTime: new Date('2030-01-01T00:00:00Z'),
    endTime: new Date('2031-01-01T00:00:00Z'),
    jitter: { seconds: 30, nanos: 0 },
    task: {
      type: 'report',
      queue: 'reports',
      payload: Buffer.from('{"kind":"daily"}'),
      priority: 5,
      maxAttempts: 4,
      timeout: { seconds: 0, nanos: 0 },
      labels: { team: 'data' },
      retry: { initialBackoff: { seconds: 2, nanos: 0 }, multiplier: 3 },
    },
  },
  paused: false,
  nextFireTimes: [new Date('2030-01-02T02:00:00Z'), new Date('2030-01-03T02:00:00Z')],
  recentFires: [
    { fireTime: new Date('2030-01-01T02:00:00Z'), taskId: 'task-2', taskState: TaskState.TASK_STATE_RUNNING },
    { fireTime: new Date('2029-12-31T02:00:00Z'), taskId: '', taskState: TaskState.TASK_STATE_UNSPECIFIED },
  ],
  lastFireTime: new Date('2030-01-01T02:00:00Z'),
  createdAt: new Date('2029-12-01T00:00:00Z'),
  updatedAt: new Date('2029-12-02T00:00:00Z'),
  skippedFires: 3,
});

describe('schedule formatting', () => {
  it('shows people the whole schedule: spec, task, counts, next and recent fires', () => {
    expect(formatScheduleBlock(FULL)).to.equal(
      [
        'name:          nightly',
        'state:         active',
        'when:          cron 0 3 * * * (Europe/Berlin)',
        'start:         2030-01-01T00:00:00.000Z',
        'end:           2031-01-01T00:00:00.000Z',
        'jitter:        30s',
        'overlap:       buffer-one',
        'catch-up:      all (at most 100)',
        'type:          report',
        'queue:         reports',
        'payload:       {"kind":"daily"}',
        'priority:      5',
        'max attempts:  4',
        'timeout:       none',
        'retry:         initial backoff 2s, multiplier 3',
        'labels:        team=data',
        'skipped fires: 3 (by the overlap policy)',
        'caught up to:  2030-01-01T02:00:00.000Z',
        'created:       2029-12-01T00:00:00.000Z',
        'updated:       2029-12-02T00:00:00.000Z',
        'next fires:',
        '  2030-01-02T02:00:00.000Z',
        '  2030-01-03T02:00:00.000Z',
        'recent fires:',
        '  2030-01-01T02:00:00.000Z  task-2     running',
        '  2029-12-31T02:00:00.000Z  (skipped)',
        '',
      ].join('\n'),
    );
  });

  it('leaves out what is unset, names the defaults, and says why no fire is next', () => {
    const bare = Schedule.fromPartial({ spec: { name: 'poll', every: { seconds: 900, nanos: 0 }, task: { type: 'poll' } }, paused: true });
    const block = formatScheduleBlock(bare);
    expect(block).to.match(/^when: +every 15m$/m);
    expect(block).to.match(/^overlap: +skip$/m);
    expect(block).to.match(/^catch-up: +one$/m);
    expect(block).to.match(/^queue: +default$/m);
    expect(block).to.contain('next fires:\n  none while paused\n');
    for (const key of ['start', 'end', 'jitter', 'payload', 'priority', 'max attempts', 'timeout', 'retry', 'labels', 'recent fires']) {
      expect(block).to.not.match(new RegExp(`^${key}:`, 'm'));
    }
    expect(formatScheduleBlock({ ...bare, paused: false })).to.contain('next fires:\n  none (past its end)\n');
  });

  it('gives scripts the spec in force: policy names, defaults filled in, ms and ISO times', () => {
    expect(scheduleToJson(FULL)).to.deep.equal({
      name: 'nightly',
      cron: '0 3 * * *',
      everyMs: null,
      timezone: 'Europe/Berlin',
      overlap: 'buffer-one',
      catchUp: 'all',
      catchUpLimit: 100,
      startTime: '2030-01-01T00:00:00.000Z',
      endTime: '2031-01-01T00:00:00.000Z',
      jitterMs: 30_000,
      task: {
        type: 'report',
        queue: 'reports',
        contentType: 'application/json',
        payload: { kind: 'daily' },
        priority: 5,
        maxAttempts: 4,
        timeoutMs: 0,
        labels: { team: 'data' },
        retry: { initialBackoffMs: 2000, multiplier: 3, maxBackoffMs: null, jitter: null, maxInfrastructureFailures: null },
      },
      paused: false,
      nextFireTimes: ['2030-01-02T02:00:00.000Z', '2030-01-03T02:00:00.000Z'],
      recentFires: [
        { fireTime: '2030-01-01T02:00:00.000Z', taskId: 'task-2', taskState: 'running' },
        { fireTime: '2029-12-31T02:00:00.000Z', taskId: null, taskState: null },
      ],
      lastFireTime: '2030-01-01T02:00:00.000Z',
      skippedFires: 3,
      createdAt: '2029-12-01T00:00:00.000Z',
      updatedAt: '2029-12-02T00:00:00.000Z',
    });
    const bare = scheduleToJson(Schedule.fromPartial({ spec: { name: 'p', every: { seconds: 60, nanos: 0 } } }));
    expect(bare).to.include({ cron: null, everyMs: 60_000, timezone: 'UTC', overlap: 'skip', catchUp: 'one', task: null, jitterMs: null });
  });

  it('lists schedules in aligned columns', () => {
    const lines = formatScheduleTable([FULL]).trimEnd().split('\n');
    expect(lines).to.deep.equal([
      'NAME     STATE   WHEN                            TYPE    QUEUE    NEXT FIRE                 SKIPPED',
      'nightly  active  cron 0 3 * * * (Europe/Berlin)  report  reports  2030-01-02T02:00:00.000Z  3',
    ]);
  });
});
