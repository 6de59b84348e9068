import { expect } from 'chai';
import { backoffDelayMs } from '../../../shared/backoff';

describe('backoffDelayMs', () => {
  const policy = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 };

  it('grows exponentially from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('takes off at most the jitter fraction', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelayMs(jittered, 3, () => 0)).to.equal(400);
    expect(backoffDelayMs(jittered, 3, () => 0.999999)).to.equal(200);
    expect(backoffDelayMs(jittered, 3, () => 0.5)).to.equal(300);
  });
});
