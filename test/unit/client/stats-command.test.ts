import { expect } from 'chai';
import { runClientCli } from '../../../client/cli/main';
import type { CliIo } from '../../../client/cli/cli-io';
import { formatStatsTables, statsToJson } from '../../../client/cli/stats-format';
import { GetStatsResponse } from '../../../shared/gen/baton/v1/stats';
import { fakeIo } from './support/fake-io';

/** Nothing listens here: every call fails UNAVAILABLE at once. */
const NOWHERE = ['--coordinator', '127.0.0.1:1'];

const TAKEN_AT = new Date('2030-01-01T00:10:00Z');

const STATS = GetStatsResponse.fromPartial({
  takenAt: TAKEN_AT,
  queues: [
    { queue: 'a', succeeded: 10, submittedPerSecond: 1 / 6, completedPerSecond: 1 / 6 },
    { queue: 'backlog', scheduled: 1, queued: 25, running: 2, dead: 3, oldestReadyAge: { seconds: 90, nanos: 0 }, paused: true },
  ],
  workers: [
    {
      workerId: 'w1',
      hostname: 'box-1',
      queues: ['a', 'backlog'],
      slotsInUse: 2,
      slotsTotal: 8,
      connectedSince: new Date(TAKEN_AT.getTime() - 300_000),
      lastHeartbeat: new Date(TAKEN_AT.getTime() - 1500),
      principal: 'anonymous',
    },
    { workerId: 'w2', queues: ['a'], slotsTotal: 1, connectedSince: TAKEN_AT, lastHeartbeat: TAKEN_AT, principal: 'token:ops', draining: true },
    { workerId: 'w3', queues: ['a', 'b'], omittedQueues: 30, slotsTotal: 1, connectedSince: TAKEN_AT, lastHeartbeat: TAKEN_AT, principal: 'token:ops' },
  ],
});

describe('baton stats: output', () => {
  it('shows people two aligned tables, ages relative to the snapshot', () => {
    expect(formatStatsTables(STATS)).to.equal(
      [
        'QUEUE             SCHEDULED  QUEUED  RUNNING  SUCCEEDED  DEAD  CANCELED  SUBMIT/S  DONE/S  OLDEST READY',
        'a                 0          0       0        10         0     0         0.17      0.17    -',
        'backlog (paused)  1          25      2        0          3     0         0.00      0.00    1m 30s',
        '',
        'WORKER         HOST   QUEUES        SLOTS  CONNECTED   LAST SEEN  PRINCIPAL',
        'w1             box-1  a,backlog     2/8    5m 00s ago  1s ago     anonymous',
        'w2 (draining)  -      a             0/1    <1s ago     <1s ago    token:ops',
        'w3             -      a,b +30 more  0/1    <1s ago     <1s ago    token:ops',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to show, and how many queues the coordinator left out', () => {
    const empty = GetStatsResponse.fromPartial({ takenAt: TAKEN_AT, omittedQueues: 0 });
    expect(formatStatsTables(empty)).to.equal('no queues\n\nno workers connected\n');
    const cut = GetStatsResponse.fromPartial({ takenAt: TAKEN_AT, queues: [{ queue: 'a' }], omittedQueues: 3 });
    expect(formatStatsTables(cut)).to.contain('(3 more queues not shown)\n');
  });

  it('gives scripts plain JSON: counts, rates, ages in ms, times in ISO 8601', () => {
    const json = statsToJson(STATS);
    expect(json.takenAt).to.equal('2030-01-01T00:10:00.000Z');
    expect(json.queues[1]).to.deep.equal({
      queue: 'backlog',
      scheduled: 1,
      queued: 25,
      running: 2,
      succeeded: 0,
      dead: 3,
      canceled: 0,
      submittedPerSecond: 0,
      completedPerSecond: 0,
      deadPerSecond: 0,
      oldestReadyAgeMs: 90_000,
      paused: true,
    });
    expect(json.workers[0]).to.deep.equal({
      workerId: 'w1',
      hostname: 'box-1',
      principal: 'anonymous',
      queues: ['a', 'backlog'],
      omittedQueues: 0,
      slotsInUse: 2,
      slotsTotal: 8,
      connectedSince: '2030-01-01T00:05:00.000Z',
      lastHeartbeat: '2030-01-01T00:09:58.500Z',
      draining: false,
    });
    expect(json.omittedQueues).to.equal(0);
    expect(json.workers[2]).to.deep.include({ queues: ['a', 'b'], omittedQueues: 30 });
  });
});

describe('baton stats: command line', () => {
  async function usage(argv: string[]): Promise<string> {
    const { io, stdout, stderr } = fakeIo();
    const code = await runClientCli([...argv, ...NOWHERE], io);
    expect(code).to.equal(2);
    expect(stdout()).to.equal('');
    return stderr();
  }

  it('takes an interval only after --watch, and not a tiny one', async () => {
    expect(await usage(['stats', '5s'])).to.match(/^error: unexpected argument '5s' \(an interval goes after --watch\)/);
    expect(await usage(['stats', '--watch', '10ms'])).to.match(/^error: --watch: expected an interval of at least 100ms, got '10ms'/);
    expect(await usage(['stats', '--watch=soon'])).to.match(/^error: --watch: expected a duration like/);
    expect(await usage(['stats', '--watch', '1s', '2s'])).to.match(/^error: stats: unexpected argument '2s'/);
  });

  it('is listed in the help', async () => {
    const { io, stdout } = fakeIo();
    expect(await runClientCli(['help'], io)).to.equal(0);
    expect(stdout()).to.match(/^ {2}stats +show each queue/m);
  });

  /** A CliIo that aborts once `snapshots` outputs were written. */
  function watchingIo(snapshots: number, stdoutIsTty: boolean): { io: CliIo; written: string[] } {
    const controller = new AbortController();
    const written: string[] = [];
    const io: CliIo = {
      stdout: (text) => {
        written.push(text);
        if (written.length === snapshots) controller.abort(new Error('interrupted'));
      },
      stderr: () => undefined,
      env: {},
      signal: controller.signal,
      stdoutIsTty,
    };
    return { io, written };
  }

  it('--watch keeps going while the coordinator is unreachable, one snapshot after another, and stops cleanly when interrupted', async () => {
    const { io, written } = watchingIo(3, false);
    expect(await runClientCli(['stats', '--watch', '100ms', ...NOWHERE], io)).to.equal(0);
    expect(written).to.have.length(3);
    expect(written[0]).to.match(/^coordinator unreachable \(UNAVAILABLE: .*\); retrying every 100ms\n$/);
    for (const later of written.slice(1)) expect(later).to.match(/^\ncoordinator unreachable/);
  });

  it('--watch redraws in place on a terminal, and writes one JSON line per snapshot with --json', async () => {
    const tty = watchingIo(2, true);
    expect(await runClientCli(['stats', '--watch=100ms', ...NOWHERE], tty.io)).to.equal(0);
    for (const text of tty.written) expect(text.startsWith('\x1b[H\x1b[2J')).to.equal(true);
    const json = watchingIo(2, false);
    expect(await runClientCli(['stats', '--json', '--watch', '100ms', ...NOWHERE], json.io)).to.equal(0);
    for (const text of json.written) expect(JSON.parse(text)).to.have.property('error').that.matches(/^UNAVAILABLE: /);
  });

  it('fails without --watch when the coordinator cannot be reached', async () => {
    const { io, stderr } = fakeIo();
    expect(await runClientCli(['stats', ...NOWHERE], io)).to.equal(1);
    expect(stderr()).to.match(/^error: UNAVAILABLE: /);
  });
});
