import { expect } from 'chai';
import { TokenBucket } from '../../../coordinator/core/token-bucket';

describe('TokenBucket', () => {
  it('starts full, gives out its burst at once, then refills at its rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).to.deep.equal([true, true, true, false]);
    expect(bucket.nextTokenAtMs(0)).to.equal(100);
    expect(bucket.take(99)).to.equal(false);
    expect(bucket.take(100)).to.equal(true);
    expect(bucket.take(100)).to.equal(false);
  });

  it('never holds more than its burst, however long it was idle', () => {
    const bucket = new TokenBucket(10, 2, 0);
    const taken = Array.from({ length: 5 }, () => bucket.take(3_600_000)).filter(Boolean);
    expect(taken).to.have.length(2);
  });

  it('starts no more than rate × time + burst over any stretch', () => {
    const bucket = new TokenBucket(20, 1, 0);
    let started = 0;
    for (let t = 0; t <= 10_000; t += 1) if (bucket.take(t)) started += 1;
    expect(started).to.equal(201); // 1 at once, then 20 a second for 10 s
  });

  it('keeps its tokens, up to the new burst, when reconfigured', () => {
    const bucket = new TokenBucket(1, 10, 0);
    bucket.reconfigure(1, 4, 0);
    expect(Array.from({ length: 6 }, () => bucket.take(0)).filter(Boolean)).to.have.length(4);
    bucket.reconfigure(1000, 4, 0);
    expect(bucket.nextTokenAtMs(0)).to.equal(1);
  });

  it('refills nothing when the clock steps back', () => {
    const bucket = new TokenBucket(1, 1, 10_000);
    expect(bucket.take(10_000)).to.equal(true);
    expect(bucket.take(5_000)).to.equal(false);
    expect(bucket.take(10_999)).to.equal(false);
    expect(bucket.take(11_000)).to.equal(true);
  });
});
