import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { StatsWatch, statsInterval } from '../../../coordinator/api/stats-watch';
import { SharedStatsSnapshots } from '../../../coordinator/api/shared-stats-snapshots';
import { ANONYMOUS, type Principal } from '../../../coordinator/security/principal';
import type { WatchStatsResponse } from '../../../shared/gen/baton/v1/stats';
import { BatonError } from '../../../shared/errors';
import { FakeClock } from '../../support/fake-clock';

/** A grpc-js server stream as the watch sees it: records writes; `full` makes writes report back-pressure. */
class FakeCall extends EventEmitter {
  readonly written: WatchStatsResponse[] = [];
  full = false;
  error: { code?: number; details?: string } | undefined;

  constructor() {
    super();
    this.on('error', (status: { code?: number; details?: string }) => (this.error = status));
  }

  write(message: WatchStatsResponse): boolean {
    this.written.push(message);
    return !this.full;
  }
}

const LIMITED: Principal = { id: 'token:a', role: 'client', queues: new Set(['a']) };

function setUp(startMs = 1_700_000_000_500) {
  const clock = new FakeClock(startMs);
  let taken = 0;
  const shared = new SharedStatsSnapshots(() => {
    taken += 1;
    return { queues: [], workers: [], takenAt: new Date(clock.now()), omittedQueues: 0 };
  });
  const closers = new Set<() => void>();
  const released: boolean[] = [];
  const watch = (call: FakeCall, caller: Principal = ANONYMOUS, intervalMs = 2000): StatsWatch => {
    const w = new StatsWatch(
      call,
      {
        clock,
        snapshot: (c, history, tickMs) => shared.get(c, history, tickMs),
        stallMs: 10_000,
        release: (reset) => released.push(reset),
        track: () => () => undefined,
        onClose: (listener) => {
          closers.add(listener);
          return () => closers.delete(listener);
        },
      },
      caller,
      intervalMs,
      false,
    );
    w.start(() => undefined);
    return w;
  };
  return { clock, watch, taken: () => taken, close: () => [...closers].forEach((c) => c()), released };
}

describe('StatsWatch', () => {
  it('sends a snapshot at once, then one on every whole multiple of the interval, shared by the watches of that tick', () => {
    const { clock, watch, taken } = setUp(1_700_000_000_500);
    const a = new FakeCall();
    const b = new FakeCall();
    watch(a);
    clock.advance(700); // b starts at another moment
    watch(b);
    expect(a.written).to.have.length(1);
    expect(b.written).to.have.length(1);
    expect(taken()).to.equal(2); // first messages are each their own
    clock.advance(800); // 1_700_000_002_000: both tick
    expect(a.written).to.have.length(2);
    expect(b.written).to.have.length(2);
    expect(a.written[1]).to.equal(b.written[1]); // one snapshot for both
    expect(taken()).to.equal(3);
    expect(a.written[1]?.takenAt?.getTime()).to.equal(1_700_000_002_000);
    clock.advance(2000);
    expect(a.written).to.have.length(3);
  });

  it('gives callers who see different queues their own snapshot', () => {
    const { clock, watch } = setUp(1_700_000_000_000);
    const all = new FakeCall();
    const limited = new FakeCall();
    watch(all);
    watch(limited, LIMITED);
    clock.advance(2000);
    expect(all.written[1]).to.not.equal(limited.written[1]);
  });

  it('skips ticks while the client does not read, and drops a client that reads nothing for the stall time', () => {
    const { clock, watch, released } = setUp(1_700_000_000_000);
    const call = new FakeCall();
    watch(call);
    call.full = true;
    clock.advance(2000); // written, and now blocked
    clock.advance(6000);
    expect(call.written).to.have.length(2);
    call.emit('drain');
    call.full = false;
    clock.advance(2000);
    expect(call.written).to.have.length(3);
    call.full = true;
    clock.advance(2000);
    clock.advance(10_000);
    expect(call.error?.details).to.match(/read nothing for 10000ms/);
    expect(released).to.deep.equal([false]);
    const count = call.written.length;
    clock.advance(10_000);
    expect(call.written).to.have.length(count);
  });

  it('ends with UNAVAILABLE when the coordinator shuts down, and stops when the client goes', () => {
    const { clock, watch, close, released } = setUp();
    const closing = new FakeCall();
    watch(closing);
    close();
    expect(closing.error?.details).to.equal('the coordinator is shutting down; watch again');
    const leaving = new FakeCall();
    watch(leaving);
    leaving.emit('cancelled');
    clock.advance(10_000);
    expect(leaving.written).to.have.length(1);
    expect(released).to.deep.equal([false, true]);
  });

  it('takes intervals from 1 to 60 seconds, 2 by default', () => {
    expect(statsInterval({ history: false, interval: undefined })).to.equal(2000);
    expect(statsInterval({ history: false, interval: { seconds: 1, nanos: 0 } })).to.equal(1000);
    expect(() => statsInterval({ history: false, interval: { seconds: 0, nanos: 500_000_000 } })).to.throw(BatonError, 'interval: must be from 1s to 60s');
    expect(() => statsInterval({ history: false, interval: { seconds: 61, nanos: 0 } })).to.throw(BatonError);
  });
});
