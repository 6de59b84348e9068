import { expect } from 'chai';
import type { ScheduleSpec } from '../../../shared/gen/baton/v1/schedule';
import { CatchUpPolicy, OverlapPolicy } from '../../../shared/gen/baton/v1/schedule';
import type { SubmitTaskRequest } from '../../../shared/gen/baton/v1/task_queue';
import { validateScheduleSpec } from '../../../coordinator/api/schedule-validation';
import { validateSubmission } from '../../../coordinator/api/submit-validation';
import type { SubmitPolicy } from '../../../coordinator/api/task-defaults';

const POLICY: SubmitPolicy = {
  maxPayloadBytes: 1024,
  defaults: { maxAttempts: 3, retry: { initialMs: 1000, multiplier: 2, maxMs: 60_000, jitter: 0.2 }, timeoutMs: 0, maxInfraFailures: null },
  queues: new Map([['mail', { maxAttempts: 7, retry: { initialMs: 1000, multiplier: 2, maxMs: 60_000, jitter: 0.2 }, timeoutMs: 30_000, maxInfraFailures: null }]]),
};
const NOW = Date.UTC(2026, 11, 1);

function wire(overrides: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name: 'nightly',
    cron: '30 2 * * *',
    timezone: '',
    task: { queue: 'mail', type: 'report', payload: Buffer.from('{}'), contentType: '', priority: 0, maxAttempts: 0, labels: {} },
    overlap: OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED,
    catchUp: CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED,
    catchUpLimit: 0,
    ...overrides,
  };
}

function refusal(overrides: Partial<ScheduleSpec>): string {
  try {
    validateScheduleSpec(wire(overrides), POLICY, NOW);
  } catch (err: unknown) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('validateScheduleSpec', () => {
  it('fills in the defaults, and gives the template its queue\'s defaults as a submission gets them', () => {
    const spec = validateScheduleSpec(wire(), POLICY, NOW);
    expect(spec).to.deep.include({ name: 'nightly', timezone: 'UTC', overlap: 'skip', catchUp: 'one', catchUpLimit: 100, jitterMs: 0, startAtMs: null, endAtMs: null });
    expect(spec.cadence).to.deep.equal({ kind: 'cron', expression: '30 2 * * *' });
    expect(spec.template).to.deep.include({ queue: 'mail', type: 'report', maxAttempts: 7, timeoutMs: 30_000, contentType: 'application/json' });
  });

  it('refuses bad input with INVALID_ARGUMENT naming the field', () => {
    expect(refusal({ cron: 'every day' })).to.match(/^INVALID_ARGUMENT: spec\.cron: /);
    expect(refusal({ timezone: 'Mars/Olympus' })).to.equal('INVALID_ARGUMENT: spec.timezone: "Mars/Olympus" is not an IANA time zone');
    expect(refusal({ cron: '', every: { seconds: 0, nanos: 0 } })).to.match(/^INVALID_ARGUMENT: spec\.every: /);
    expect(refusal({ every: { seconds: 60, nanos: 0 } })).to.match(/^INVALID_ARGUMENT: spec\.cron, spec\.every: set exactly one of them, not both/);
    expect(refusal({ cron: '' })).to.match(/^INVALID_ARGUMENT: spec\.cron, spec\.every: set exactly one/);
    expect(refusal({ name: 'no spaces' })).to.match(/^INVALID_ARGUMENT: spec\.name: /);
    expect(refusal({ task: undefined })).to.match(/^INVALID_ARGUMENT: spec\.task: must be set/);
    expect(refusal({ task: { ...wire().task!, type: '' } })).to.match(/^INVALID_ARGUMENT: spec\.task\.type: must not be empty/);
    expect(refusal({ task: { ...wire().task!, payload: Buffer.alloc(2000) } })).to.match(/^INVALID_ARGUMENT: spec\.task\.payload: 2000 bytes exceeds the limit of 1024 bytes/);
    expect(refusal({ overlap: 42 as OverlapPolicy })).to.match(/^INVALID_ARGUMENT: spec\.overlap: 42 is not an overlap policy/);
    expect(refusal({ catchUpLimit: 10_001 })).to.match(/^INVALID_ARGUMENT: spec\.catch_up_limit: /);
    expect(refusal({ startTime: new Date(NOW + 10), endTime: new Date(NOW) })).to.match(/^INVALID_ARGUMENT: spec\.end_time: must be after spec\.start_time/);
    expect(refusal({ cron: '', every: { seconds: 60, nanos: 0 }, jitter: { seconds: 61, nanos: 0 } })).to.match(/^INVALID_ARGUMENT: spec\.jitter: /);
  });
});

describe('validateSubmission and schedules', () => {
  it('reserves the idempotency keys of schedules\' fires', () => {
    const request: SubmitTaskRequest = { queue: '', type: 'x', payload: Buffer.alloc(0), contentType: '', priority: 0, maxAttempts: 0, idempotencyKey: 'schedule:nightly@2026-12-02T01:30:00.000Z', labels: {}, traceContext: {}, fairnessKey: '' };
    expect(() => validateSubmission(request, POLICY, NOW)).to.throw(/^idempotency_key: keys starting with "schedule:" are reserved for schedules' fires$/);
    expect(() => validateSubmission({ ...request, idempotencyKey: 'my-schedule:1' }, POLICY, NOW)).to.not.throw();
  });
});
