import { expect } from 'chai';
import type { ProgressReport } from '../../../shared/gen/baton/v1/worker_service';
import { ProgressCoalescer, maxReportsPerMessage, type ProgressSender } from '../../../worker/progress-reports';
import { FakeClock } from '../../support/fake-clock';

const INTERVAL_MS = 250;

/** A link that records each ProgressReports message, and refuses them while `writable` is false. */
class RecordingSender implements ProgressSender {
  readonly messages: ProgressReport[][] = [];
  writable = true;
  progress(reports: ProgressReport[]): boolean {
    if (reports.length === 0) return true;
    if (!this.writable) return false;
    this.messages.push(reports);
    return true;
  }
  /** Each message as `lease=fraction:message` entries. */
  get shown(): string[][] {
    return this.messages.map((reports) => reports.map((r) => `${r.leaseId}=${r.fraction}:${r.message}`));
  }
}

function setUp(options: { maxPerMessage?: number } = {}) {
  const clock = new FakeClock();
  const sender = new RecordingSender();
  let connected = true;
  const coalescer = new ProgressCoalescer({
    clock,
    intervalMs: INTERVAL_MS,
    maxPerMessage: options.maxPerMessage ?? 100,
    connected: () => (connected ? sender : undefined),
  });
  return { clock, sender, coalescer, disconnect: () => (connected = false), reconnect: () => (connected = true) };
}

describe('ProgressCoalescer', () => {
  it('keeps only the latest report per lease and sends them all in one message, an interval after the first', () => {
    const { clock, sender, coalescer } = setUp();
    for (let i = 1; i <= 10_000; i += 1) coalescer.report('a', i / 10_000, `step ${i}`);
    coalescer.report('b', 0.5, '');
    expect(sender.messages, 'nothing at once').to.deep.equal([]);
    expect(coalescer.pendingCount).to.equal(2);
    clock.advance(INTERVAL_MS - 1);
    expect(sender.messages).to.deep.equal([]);
    clock.advance(1);
    expect(sender.shown).to.deep.equal([['a=1:step 10000', 'b=0.5:']]);
    expect(coalescer.pendingCount).to.equal(0);
  });

  it('sends at most one round per interval, and arms no timer while idle', () => {
    const { clock, sender, coalescer } = setUp();
    coalescer.report('a', 0.1, '');
    clock.advance(INTERVAL_MS);
    expect(sender.messages).to.have.length(1);
    expect(clock.pendingTimers, 'idle: no timer').to.equal(0);
    clock.advance(1000);
    coalescer.report('a', 0.2, '');
    clock.advance(INTERVAL_MS - 1);
    coalescer.report('a', 0.3, '');
    expect(sender.messages).to.have.length(1);
    clock.advance(1);
    expect(sender.shown.at(-1)).to.deep.equal(['a=0.3:']);
    coalescer.report('a', 0.4, ''); // right after a round: waits a whole interval
    clock.advance(INTERVAL_MS - 1);
    expect(sender.messages).to.have.length(2);
    clock.advance(1);
    expect(sender.shown.at(-1)).to.deep.equal(['a=0.4:']);
  });

  it('forgets a dropped lease\'s pending report', () => {
    const { clock, sender, coalescer } = setUp();
    coalescer.report('a', 0.5, '');
    coalescer.report('b', 0.5, '');
    coalescer.drop('a');
    clock.advance(INTERVAL_MS);
    expect(sender.shown).to.deep.equal([['b=0.5:']]);
    coalescer.report('c', 0.5, '');
    coalescer.drop('c');
    clock.advance(INTERVAL_MS * 4);
    expect(sender.messages, 'nothing left to send').to.have.length(1);
  });

  it('under back-pressure keeps coalescing (latest wins) instead of queueing, and sends the latest once the stream takes it', () => {
    const { clock, sender, coalescer } = setUp();
    sender.writable = false;
    coalescer.report('a', 0.1, '');
    clock.advance(INTERVAL_MS);
    coalescer.report('a', 0.2, '');
    clock.advance(INTERVAL_MS);
    coalescer.report('a', 0.3, '');
    expect(sender.messages).to.deep.equal([]);
    expect(coalescer.pendingCount).to.equal(1);
    sender.writable = true;
    clock.advance(INTERVAL_MS);
    expect(sender.shown).to.deep.equal([['a=0.3:']]);
  });

  it('keeps reports while disconnected and sends them once connected again', () => {
    const { clock, sender, coalescer, disconnect, reconnect } = setUp();
    disconnect();
    coalescer.report('a', 0.4, 'x');
    clock.advance(INTERVAL_MS * 3);
    expect(sender.messages).to.deep.equal([]);
    reconnect();
    clock.advance(INTERVAL_MS);
    expect(sender.shown).to.deep.equal([['a=0.4:x']]);
  });

  it('splits a round over messages of at most maxPerMessage reports, and keeps what the stream refused', () => {
    const { clock, sender, coalescer } = setUp({ maxPerMessage: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) coalescer.report(id, 1, '');
    const refuseAfter = 2;
    const send = sender.progress.bind(sender);
    sender.progress = (reports) => sender.messages.length < refuseAfter && send(reports);
    clock.advance(INTERVAL_MS);
    expect(sender.messages.map((m) => m.map((r) => r.leaseId))).to.deep.equal([['a', 'b', 'c'], ['d', 'e', 'f']]);
    expect(coalescer.pendingCount, 'g waits for the next round').to.equal(1);
    sender.progress = send;
    clock.advance(INTERVAL_MS);
    expect(sender.messages.at(-1)?.map((r) => r.leaseId)).to.deep.equal(['g']);
  });

  it('caps a message at 2 × concurrency + 64 reports, as the protocol does', () => {
    expect(maxReportsPerMessage(1)).to.equal(66);
    expect(maxReportsPerMessage(10)).to.equal(84);
  });

  it('once stopped, cancels its timer, forgets what is pending and ignores later reports', () => {
    const { clock, sender, coalescer } = setUp();
    coalescer.report('a', 0.5, '');
    coalescer.stop();
    expect(clock.pendingTimers).to.equal(0);
    coalescer.report('a', 0.6, '');
    expect(clock.pendingTimers).to.equal(0);
    clock.advance(INTERVAL_MS * 4);
    expect(sender.messages).to.deep.equal([]);
    coalescer.stop(); // idempotent
  });
});
