import { expect } from 'chai';
import { RESET_BURST, RESET_HEADROOM, WatchLimiter } from '../../../coordinator/api/watch-limits';
import { FakeClock } from '../../support/fake-clock';

describe('WatchLimiter', () => {
  it('refuses past the per-connection and total limits, naming them, and counts releases', () => {
    const limiter = new WatchLimiter({ perConnection: 2, total: 3, stallMs: 1000 }, new FakeClock());
    const a1 = limiter.acquire('a');
    limiter.acquire('a');
    expect(() => limiter.acquire('a')).to.throw('2 watches are open on this connection, the limit (maxWatchesPerConnection) is 2');
    limiter.acquire('b');
    expect(() => limiter.acquire('c')).to.throw('3 watches are open, the limit (maxWatches) is 3');
    a1(false);
    a1(false); // idempotent
    expect(limiter.open).to.equal(2);
    limiter.acquire('c');
  });

  it('keeps a connection that reset many streams under the HTTP/2 reset limit, and refills it with time', () => {
    const clock = new FakeClock();
    const limiter = new WatchLimiter({ perConnection: 10_000, total: 100_000, stallMs: 1000 }, clock);
    const room = RESET_BURST - RESET_HEADROOM;
    const releases = Array.from({ length: room }, () => limiter.acquire('flood'));
    expect(() => limiter.acquire('flood')).to.throw(/cancelled too many streams lately: it may hold 900 watches for now/);
    for (const release of releases) release(true); // every one reset by the client
    // 900 resets spent: 100 left, minus the headroom, is no room at all.
    expect(() => limiter.acquire('flood')).to.throw(/it may hold 0 watches for now/);
    limiter.acquire('another-connection');
    clock.advance(1000); // +30 resets of budget
    const refilled = Array.from({ length: 30 }, () => limiter.acquire('flood'));
    expect(refilled).to.have.length(30);
    expect(() => limiter.acquire('flood')).to.throw(/it may hold 30 watches for now/);
  });

  it('forgets closed connections once their reset budget has refilled', () => {
    const clock = new FakeClock();
    const limiter = new WatchLimiter({ perConnection: 10, total: 100_000, stallMs: 1000 }, clock);
    for (let i = 0; i < 5000; i += 1) limiter.acquire(`10.0.0.1:${i}`)(true); // each connection reset one watch
    expect(limiter.connectionsTracked).to.equal(5000); // each still refilling its one reset
    clock.advance(40_000); // a whole refill time: the budgets are full again
    limiter.acquire('10.0.0.2:1')(false);
    expect(limiter.connectionsTracked).to.equal(0);
  });
});
