import { expect } from 'chai';
import type { Lease } from '../../../coordinator/core/leases';
import { beginAttempt, recordCancel, recordFailure, recordSuccess, requeue } from '../../../coordinator/core/transitions';
import { makeTask } from '../../support/tasks';

const NOW = 1_000_000;
const noJitter = (): number => 0;

function leaseFor(taskId: string, attempt: number): Lease {
  return { leaseId: `l${attempt}`, taskId, queue: 'default', attempt, workerId: 'w', proof: '', principal: 'anonymous', sessionId: 's', startedAtMs: NOW, deadlineMs: null, grantOrdinal: attempt };
}

describe('task transitions (the retry policy)', () => {
  it('schedules a retry after the backoff of the attempt that failed', () => {
    const task = makeTask({ id: 't', maxAttempts: 3, retry: { initialMs: 100, multiplier: 3, maxMs: 10_000, jitter: 0 } });
    const first = beginAttempt(task, leaseFor('t', 1), NOW);
    expect(recordFailure(task, first, { outcome: 'failed', error: 'e1', retryable: true }, NOW, noJitter)).to.deep.equal({ kind: 'retry', runAtMs: NOW + 100 });
    expect(task.state).to.equal('scheduled');
    expect(first).to.include({ outcome: 'failed', error: 'e1', endedAtMs: NOW });
    const second = beginAttempt(task, leaseFor('t', 2), NOW);
    expect(recordFailure(task, second, { outcome: 'failed', error: 'e2', retryable: true }, NOW, noJitter)).to.deep.equal({ kind: 'retry', runAtMs: NOW + 300 });
    const third = beginAttempt(task, leaseFor('t', 3), NOW);
    expect(recordFailure(task, third, { outcome: 'failed', error: 'e3', retryable: true }, NOW, noJitter)).to.deep.equal({ kind: 'dead' });
    expect(task).to.include({ state: 'dead', lastError: 'e3', finishedAtMs: NOW });
  });

  it('applies jitter as a reduction of at most the jitter fraction', () => {
    const task = makeTask({ id: 't', retry: { initialMs: 1000, multiplier: 2, maxMs: 10_000, jitter: 0.5 } });
    const attempt = beginAttempt(task, leaseFor('t', 1), NOW);
    const verdict = recordFailure(task, attempt, { outcome: 'failed', error: 'e', retryable: true }, NOW, () => 0.5);
    expect(verdict).to.deep.equal({ kind: 'retry', runAtMs: NOW + 750 });
  });

  it('sends a non-retryable failure to DEAD with attempts left', () => {
    const task = makeTask({ id: 't', maxAttempts: 10 });
    const attempt = beginAttempt(task, leaseFor('t', 1), NOW);
    expect(recordFailure(task, attempt, { outcome: 'failed', error: 'bad input', retryable: false }, NOW, noJitter).kind).to.equal('dead');
  });

  it('counts worker-lost and timed-out attempts as infrastructure failures', () => {
    const task = makeTask({ id: 't', maxAttempts: 5 });
    recordFailure(task, beginAttempt(task, leaseFor('t', 1), NOW), { outcome: 'worker_lost', error: 'lost', retryable: true }, NOW, noJitter);
    recordFailure(task, beginAttempt(task, leaseFor('t', 2), NOW), { outcome: 'timed_out', error: 'slow', retryable: true }, NOW, noJitter);
    recordFailure(task, beginAttempt(task, leaseFor('t', 3), NOW), { outcome: 'failed', error: 'bug', retryable: true }, NOW, noJitter);
    expect(task.infraFailures).to.equal(2);
    expect(task.maxAttempts).to.equal(5, 'without a separate budget they use up attempts');
  });

  it('with a separate budget, infrastructure failures do not use up max_attempts', () => {
    const task = makeTask({ id: 't', maxAttempts: 1, maxInfraFailures: 1 });
    const lost = recordFailure(task, beginAttempt(task, leaseFor('t', 1), NOW), { outcome: 'worker_lost', error: 'lost', retryable: true }, NOW, noJitter);
    expect(lost.kind).to.equal('retry');
    expect(task.maxAttempts).to.equal(2);
    const again = recordFailure(task, beginAttempt(task, leaseFor('t', 2), NOW), { outcome: 'timed_out', error: 'slow', retryable: true }, NOW, noJitter);
    expect(again.kind).to.equal('dead', 'the second infrastructure failure is over a budget of one');
  });

  it('records success, cancel, and a requeue that grants the submitted budget again', () => {
    const task = makeTask({ id: 't', maxAttempts: 2, attemptBudget: 2 });
    const attempt = beginAttempt(task, leaseFor('t', 1), NOW);
    recordSuccess(task, attempt, Buffer.from('1'), 'application/json', NOW + 5);
    expect(task).to.include({ state: 'succeeded', finishedAtMs: NOW + 5 });
    expect(attempt.outcome).to.equal('succeeded');

    const canceled = makeTask({ id: 'c', state: 'running', attempt: 2, maxAttempts: 2, attemptBudget: 2, infraFailures: 1 });
    recordCancel(canceled, undefined, NOW);
    expect(canceled.state).to.equal('canceled');
    requeue(canceled, NOW + 1);
    expect(canceled).to.include({ state: 'queued', attempt: 2, maxAttempts: 4, infraFailures: 0, finishedAtMs: null, runAtMs: NOW + 1 });
  });
});
