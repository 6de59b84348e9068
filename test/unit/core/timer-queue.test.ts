import { expect } from 'chai';
import { TimerQueue } from '../../../coordinator/core/timer-queue';
import { FakeClock } from '../../support/fake-clock';

describe('TimerQueue', () => {
  it('fires keys in deadline order when their time comes', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const queue = new TimerQueue<string>(clock, (key) => fired.push(key));
    queue.set('b', clock.now() + 200);
    queue.set('a', clock.now() + 100);
    queue.set('c', clock.now() + 300);
    clock.advance(99);
    expect(fired).to.deep.equal([]);
    clock.advance(101);
    expect(fired).to.deep.equal(['a', 'b']);
    clock.advance(100);
    expect(fired).to.deep.equal(['a', 'b', 'c']);
    expect(queue.size).to.equal(0);
  });

  it('uses one clock timer at a time, whatever the number of keys', () => {
    const clock = new FakeClock();
    const queue = new TimerQueue<number>(clock, () => undefined);
    for (let i = 0; i < 1000; i += 1) queue.set(i, clock.now() + 1000 - i);
    expect(clock.pendingTimers).to.equal(1);
  });

  it('replaces a deadline when a key is set again, and skips cancelled keys', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const queue = new TimerQueue<string>(clock, (key) => fired.push(key));
    queue.set('moved', clock.now() + 100);
    queue.set('moved', clock.now() + 500);
    queue.set('gone', clock.now() + 50);
    queue.cancel('gone');
    clock.advance(200);
    expect(fired).to.deep.equal([]);
    clock.advance(300);
    expect(fired).to.deep.equal(['moved']);
  });

  it('fires a deadline in the past on the next timer turn', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const queue = new TimerQueue<string>(clock, (key) => fired.push(key));
    queue.set('late', clock.now() - 1000);
    clock.advance(0);
    expect(fired).to.deep.equal(['late']);
  });

  it('lets a callback schedule further keys, and stops for good on close', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const queue: TimerQueue<number> = new TimerQueue<number>(clock, (key) => {
      fired.push(key);
      if (key < 3) queue.set(key + 1, clock.now() + 10);
    });
    queue.set(1, clock.now() + 10);
    clock.advance(100);
    expect(fired).to.deep.equal([1, 2, 3]);
    queue.set(9, clock.now() + 10);
    queue.close();
    clock.advance(100);
    expect(fired).to.deep.equal([1, 2, 3]);
  });

  it('keeps firing later keys when a callback throws', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const errors: string[] = [];
    const queue = new TimerQueue<string>(
      clock,
      (key) => {
        if (key === 'bad') throw new Error('boom');
        fired.push(key);
      },
      (_err, key) => errors.push(key),
    );
    queue.set('bad', clock.now() + 10);
    queue.set('good', clock.now() + 10);
    queue.set('later', clock.now() + 50);
    clock.advance(100);
    expect(errors).to.deep.equal(['bad']);
    expect(fired).to.deep.equal(['good', 'later']);
  });

  it('does not hoard cancelled far-future entries', () => {
    const clock = new FakeClock();
    const queue = new TimerQueue<number>(clock, () => undefined);
    queue.set(-1, clock.now() + 10); // a near deadline stays on top, so cancelled ones never surface
    for (let i = 0; i < 100_000; i += 1) {
      queue.set(i, clock.now() + 3_600_000);
      queue.cancel(i);
    }
    expect(queue.size).to.equal(1);
    expect(queue.storedEntries).to.be.below(3000);
  });
});
