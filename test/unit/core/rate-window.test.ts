import { expect } from 'chai';
import { RateWindow } from '../../../coordinator/core/rate-window';
import { FakeClock } from '../../support/fake-clock';

describe('RateWindow', () => {
  it('averages the events of the last 60 seconds, current second included', () => {
    const clock = new FakeClock(1_700_000_000_000);
    const window = new RateWindow();
    window.record(clock.now(), 60);
    expect(window.perSecond(clock.now())).to.equal(1);
    clock.advance(30_000);
    window.record(clock.now(), 30);
    expect(window.perSecond(clock.now())).to.equal(1.5);
    clock.advance(29_999); // still within the window of the first events
    expect(window.perSecond(clock.now())).to.equal(1.5);
    clock.advance(1); // 60 s after the first second began: those events left the window
    expect(window.perSecond(clock.now())).to.equal(0.5);
    clock.advance(30_000);
    expect(window.perSecond(clock.now())).to.equal(0);
    expect(window.isIdle(clock.now())).to.equal(true);
  });

  it('empties only the seconds that passed, however long the gap, and counts a step back as now', () => {
    const clock = new FakeClock(0);
    const window = new RateWindow(4);
    for (let second = 0; second < 4; second += 1) {
      window.record(clock.now(), second + 1); // 1, 2, 3, 4
      clock.advance(1000);
    }
    expect(window.perSecond(clock.now())).to.equal((2 + 3 + 4) / 4); // second 0 left as second 4 began
    clock.advance(2000);
    expect(window.perSecond(clock.now())).to.equal(4 / 4);
    window.record(clock.now() - 5000, 4); // a clock step back: counted in the current second
    expect(window.perSecond(clock.now())).to.equal(8 / 4);
    clock.advance(3_600_000);
    expect(window.perSecond(clock.now())).to.equal(0);
  });

  it('spans `seconds` buckets: the current second and the seconds - 1 whole ones before it', () => {
    const window = new RateWindow(3);
    window.record(10_999, 3); // late in second 10
    expect(window.perSecond(12_999)).to.equal(1); // seconds 10, 11 and the current 12
    expect(window.perSecond(13_000)).to.equal(0); // second 13 began: second 10 left, 3 s after it began
  });

  it('refuses a window that is not a positive whole number of seconds', () => {
    expect(() => new RateWindow(0)).to.throw(RangeError);
    expect(() => new RateWindow(1.5)).to.throw(RangeError);
  });

  it('keeps wider buckets for a history, read oldest first with the current bucket last', () => {
    const clock = new FakeClock(1_000_000);
    const history = new RateWindow(3, 10_000);
    expect(history.series(clock.now())).to.deep.equal([0, 0, 0]);
    history.record(clock.now(), 2);
    clock.advance(10_000);
    history.record(clock.now());
    expect(history.series(clock.now())).to.deep.equal([0, 2, 1]);
    expect(history.perSecond(clock.now())).to.equal(3 / 30);
    clock.advance(20_000); // the bucket of the 2 leaves
    expect(history.series(clock.now())).to.deep.equal([1, 0, 0]);
    clock.advance(60_000);
    expect(history.series(clock.now())).to.deep.equal([0, 0, 0]);
    expect(() => new RateWindow(3, 0)).to.throw(RangeError);
  });
});
