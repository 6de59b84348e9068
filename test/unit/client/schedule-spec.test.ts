import { refusalOf } from '../../support/invalid-argument';
import { expect } from 'chai';
import { CatchUpPolicy, OverlapPolicy } from '../../../shared/gen/baton/v1/schedule';
import { catchUpPolicyName, overlapPolicyName, parseCatchUpPolicy, parseOverlapPolicy } from '../../../client/schedule-policies';
import { toScheduleSpec, type ScheduleOptions } from '../../../client/schedule-spec';
import { toTaskTemplate, type TaskTemplateInput } from '../../../client/task-template';


describe('toScheduleSpec', () => {
  it('builds a cron spec with every default left to the coordinator', () => {
    const spec = toScheduleSpec('nightly', { cron: '0 3 * * *', task: { type: 'report' } });
    expect(spec).to.deep.include({
      name: 'nightly',
      cron: '0 3 * * *',
      every: undefined,
      timezone: '',
      overlap: OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED,
      catchUp: CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED,
      catchUpLimit: 0,
      startTime: undefined,
      endTime: undefined,
      jitter: undefined,
    });
    expect(spec.task).to.deep.include({ type: 'report', queue: '', contentType: 'application/json', priority: 0, maxAttempts: 0 });
    expect(spec.task?.payload.length).to.equal(0);
  });

  it('turns durations, policies, times and the task template into their wire forms', () => {
    const startTime = new Date('2030-01-01T00:00:00Z');
    const endTime = new Date('2031-01-01T00:00:00Z');
    const spec = toScheduleSpec('poll', {
      every: '1.5m',
      jitter: 2500,
      overlap: 'buffer-one',
      catchUp: 'all',
      catchUpLimit: 7,
      startTime,
      endTime,
      task: { type: 'poll', payload: { url: 'x' }, queue: 'q', priority: -2, maxAttempts: 4, timeout: '30s', labels: { a: 'b' }, retry: { initialBackoff: '2s', multiplier: 3 } },
    });
    expect(spec.cron).to.equal('');
    expect(spec.every).to.deep.equal({ seconds: 90, nanos: 0 });
    expect(spec.jitter).to.deep.equal({ seconds: 2, nanos: 500_000_000 });
    expect(spec.overlap).to.equal(OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE);
    expect(spec.catchUp).to.equal(CatchUpPolicy.CATCH_UP_POLICY_ALL);
    expect(spec).to.include({ catchUpLimit: 7, startTime, endTime });
    expect(spec.task).to.deep.include({ type: 'poll', queue: 'q', priority: -2, maxAttempts: 4, timeout: { seconds: 30, nanos: 0 }, labels: { a: 'b' } });
    expect(JSON.parse(spec.task?.payload.toString('utf8') ?? '')).to.deep.equal({ url: 'x' });
    expect(spec.task?.retry).to.deep.include({ initialBackoff: { seconds: 2, nanos: 0 }, multiplier: 3, jitter: undefined });
  });

  it('takes the enum values themselves, and refuses numbers it does not know', () => {
    const spec = toScheduleSpec('s', { cron: '* * * * *', task: { type: 't' }, overlap: OverlapPolicy.OVERLAP_POLICY_ALLOW, catchUp: CatchUpPolicy.CATCH_UP_POLICY_SKIP });
    expect(spec.overlap).to.equal(OverlapPolicy.OVERLAP_POLICY_ALLOW);
    expect(spec.catchUp).to.equal(CatchUpPolicy.CATCH_UP_POLICY_SKIP);
    expect(refusalOf(() => toScheduleSpec('s', { cron: '* * * * *', task: { type: 't' }, overlap: 9 as OverlapPolicy }))).to.equal('overlap: unknown policy 9');
  });

  it('refuses what cannot be encoded, naming the option', () => {
    const base = { cron: '* * * * *', task: { type: 't' } } as const;
    expect(refusalOf(() => toScheduleSpec('s', { every: 'often', task: { type: 't' } }))).to.match(/^every: expected a duration/);
    expect(refusalOf(() => toScheduleSpec('s', { ...base, jitter: Number.NaN }))).to.match(/^jitter: expected a finite number/);
    expect(refusalOf(() => toScheduleSpec('s', { ...base, overlap: 'sometimes' as 'skip' }))).to.equal(
      'overlap: unknown policy "sometimes"; expected one of allow, skip, buffer-one',
    );
    expect(refusalOf(() => toScheduleSpec('s', { ...base, catchUp: 'most' as 'all' }))).to.equal('catchUp: unknown policy "most"; expected one of skip, one, all');
    expect(refusalOf(() => toScheduleSpec('s', { ...base, catchUpLimit: -1 }))).to.match(/^catchUpLimit: expected an integer from 0/);
    expect(refusalOf(() => toScheduleSpec('s', { ...base, startTime: new Date('nope') }))).to.equal('startTime: expected a valid Date');
    expect(refusalOf(() => toScheduleSpec('s', { ...base, task: { type: 't', priority: 1.5 } }))).to.match(/^task\.priority: expected an integer/);
    expect(refusalOf(() => toScheduleSpec('s', { cron: '* * * * *' } as ScheduleOptions))).to.equal('task: expected an object with at least a type');
  });

  it('leaves "exactly one of cron and every" to the coordinator, which names the fields', () => {
    const both = { cron: '* * * * *', every: '1m', task: { type: 't' } } as unknown as ScheduleOptions;
    expect(toScheduleSpec('s', both)).to.deep.include({ cron: '* * * * *', every: { seconds: 60, nanos: 0 } });
  });
});

describe('toTaskTemplate', () => {
  it("refuses submit's options that no template has, saying why, for callers without type checks", () => {
    const refused: Array<[string, Record<string, unknown>]> = [
      ['delay', { delay: '5s' }],
      ['runAt', { runAt: new Date() }],
      ['idempotencyKey', { idempotencyKey: 'k' }],
      ['traceContext', { traceContext: {} }],
    ];
    for (const [key, extra] of refused) {
      const input = { type: 't', ...extra } as unknown as TaskTemplateInput;
      expect(refusalOf(() => toTaskTemplate(input))).to.match(new RegExp(`^task\\.${key}: not for a schedule: `));
    }
  });

  it('encodes payloads as submit does: JSON values, binary as is', () => {
    expect(toTaskTemplate({ type: 't', payload: Buffer.from([1, 2]) })).to.deep.include({ contentType: 'application/octet-stream' });
    expect(toTaskTemplate({ type: 't', payload: 'x', contentType: 'text/plain' }).payload.toString()).to.equal('"x"');
    expect(refusalOf(() => toTaskTemplate({ type: 't', payload: 10n }))).to.match(/^task\.payload: cannot be encoded as JSON/);
  });
});

describe('schedule policy names', () => {
  it('reads names in any case and spelling, and the enum names', () => {
    for (const name of ['buffer-one', 'BUFFER_ONE', 'Buffer_One', 'OVERLAP_POLICY_BUFFER_ONE', ' buffer-one ']) {
      expect(parseOverlapPolicy(name)).to.equal(OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE);
    }
    expect(parseCatchUpPolicy('CATCH_UP_POLICY_ALL')).to.equal(CatchUpPolicy.CATCH_UP_POLICY_ALL);
    expect(refusalOf(() => parseOverlapPolicy('unspecified', '--overlap'))).to.match(/^--overlap: unknown policy "unspecified"/);
    expect(refusalOf(() => parseCatchUpPolicy('policy_all'))).to.match(/^catchUp: unknown policy/);
  });

  it('names UNSPECIFIED after the default it stands for', () => {
    expect(overlapPolicyName(OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED)).to.equal('skip');
    expect(overlapPolicyName(OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE)).to.equal('buffer-one');
    expect(catchUpPolicyName(CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED)).to.equal('one');
    expect(catchUpPolicyName(CatchUpPolicy.CATCH_UP_POLICY_ALL)).to.equal('all');
  });
});
