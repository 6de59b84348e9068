import { refusalOf } from '../../support/invalid-argument';
import { expect } from 'chai';
import { toUpdateQueueRequest } from '../../../client/queue-update';


describe('toUpdateQueueRequest', () => {
  it('names in the mask exactly the settings given, in queue.proto field names', () => {
    expect(toUpdateQueueRequest('mail', { concurrency: 10 }).updateMask).to.deep.equal(['concurrency']);
    const all = toUpdateQueueRequest('mail', { concurrency: 0, rate: 2.5, burst: 5, weight: 3, paused: true, retention: '3d', deadRetention: 60_000 });
    expect(all.updateMask).to.deep.equal(['concurrency', 'rate', 'burst', 'weight', 'paused', 'retention', 'dead_retention']);
    expect(all.name).to.equal('mail');
    expect(all.settings).to.deep.equal({
      concurrency: 0,
      rate: 2.5,
      burst: 5,
      weight: 3,
      paused: true,
      retention: { seconds: 259_200, nanos: 0 },
      deadRetention: { seconds: 60, nanos: 0 },
    });
  });

  it('sends zero, which removes a limit, as a change like any other', () => {
    const request = toUpdateQueueRequest('q', { rate: 0, paused: false });
    expect(request.updateMask).to.deep.equal(['rate', 'paused']);
    expect(request.settings).to.deep.include({ rate: 0, paused: false });
  });

  it('puts a retention back to its default with null: named in the mask, left unset', () => {
    const request = toUpdateQueueRequest('q', { retention: null, deadRetention: null });
    expect(request.updateMask).to.deep.equal(['retention', 'dead_retention']);
    expect(request.settings?.retention).to.equal(undefined);
    expect(request.settings?.deadRetention).to.equal(undefined);
  });

  it('refuses an update that changes nothing, and values that cannot be encoded', () => {
    expect(refusalOf(() => toUpdateQueueRequest('q', {}))).to.equal(
      'settings: expected at least one of concurrency, rate, burst, weight, paused, retention, deadRetention',
    );
    expect(refusalOf(() => toUpdateQueueRequest('q', { concurrency: -1 }))).to.match(/^concurrency: expected an integer from 0 to 4294967295/);
    expect(refusalOf(() => toUpdateQueueRequest('q', { weight: 1.5 }))).to.match(/^weight: expected an integer/);
    expect(refusalOf(() => toUpdateQueueRequest('q', { rate: Number.POSITIVE_INFINITY }))).to.match(/^rate: expected a finite number/);
    expect(refusalOf(() => toUpdateQueueRequest('q', { retention: 'a week' }))).to.match(/^retention: expected a duration/);
  });
});
