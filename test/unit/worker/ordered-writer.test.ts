import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { ConnectRequest } from '../../../shared/gen/baton/v1/worker_service';
import { OrderedWriter, type BackPressuredStream } from '../../../worker/ordered-writer';

/** A stream whose buffer is full whenever the test says so. */
class FakeStream extends EventEmitter implements BackPressuredStream<ConnectRequest> {
  readonly written: string[] = [];
  full = false;
  ended = false;
  write(message: ConnectRequest): boolean {
    if (this.ended) throw new Error('write after end');
    this.written.push(show(message));
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  /** The buffer emptied. */
  drained(): void {
    this.full = false;
    this.emit('drain');
  }
}

function show(request: ConnectRequest): string {
  const m = request.message;
  switch (m?.$case) {
    case 'credit':
      return `credit ${m.value.slots}`;
    case 'results':
      return `results ${m.value.results.map((r) => r.leaseId).join(',')}`;
    case 'heartbeat':
      return `heartbeat ${m.value.leaseIds.join(',')}`;
    case 'progress':
      return `progress ${m.value.reports.map((r) => r.leaseId).join(',')}`;
    default:
      return m?.$case ?? 'empty';
  }
}

const credit = (slots: number): ConnectRequest => ({ message: { $case: 'credit', value: { slots } } });
const results = (...leaseIds: string[]): ConnectRequest => ({
  message: { $case: 'results', value: { results: leaseIds.map((leaseId) => ({ leaseId, outcome: { $case: 'success', value: { result: Buffer.alloc(0), contentType: '' } } })) } },
});
const heartbeat = (...leaseIds: string[]): ConnectRequest => ({ message: { $case: 'heartbeat', value: { leaseIds, leasesReceived: 0 } } });
const progress = (leaseId: string): ConnectRequest => ({ message: { $case: 'progress', value: { reports: [{ leaseId, fraction: 0.5, message: '' }] } } });

describe('OrderedWriter (back-pressure on the Connect stream)', () => {
  it('writes straight through while write() returns true', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    writer.write(results('a'));
    writer.write(credit(1));
    expect(stream.written).to.deep.equal(['results a', 'credit 1']);
    expect(writer.heldCount).to.equal(0);
  });

  it('once write() returns false, holds every later message, in order, until the stream drains', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    stream.full = true;
    writer.write(results('a')); // accepted, but the buffer is now full
    writer.write(results('b'));
    writer.write(credit(2));
    writer.write(results('c'));
    expect(stream.written).to.deep.equal(['results a']);
    expect(writer.heldCount).to.equal(3);
    stream.drained();
    expect(stream.written).to.deep.equal(['results a', 'results b', 'credit 2', 'results c']);
    expect(writer.heldCount).to.equal(0);
  });

  it('stops again when the stream fills up while it writes what it held', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    stream.full = true;
    writer.write(results('a'));
    writer.write(results('b'));
    writer.write(results('c'));
    stream.full = true;
    stream.emit('drain'); // drained, but 'b' fills it again
    expect(stream.written).to.deep.equal(['results a', 'results b']);
    writer.write(results('d'));
    stream.drained();
    expect(stream.written).to.deep.equal(['results a', 'results b', 'results c', 'results d']);
  });

  it('merges held credits and keeps only the newest held heartbeat at the tail, without moving a credit ahead of results', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    stream.full = true;
    writer.write(results('a'));
    writer.write(credit(1));
    writer.write(credit(1));
    writer.write(results('b'));
    writer.write(credit(1));
    writer.write(heartbeat('x'));
    writer.write(heartbeat('x', 'y'));
    expect(writer.heldCount).to.equal(4);
    stream.drained();
    expect(stream.written).to.deep.equal(['results a', 'credit 2', 'results b', 'credit 1', 'heartbeat x,y']);
  });

  it('half-closes only once what it held is written, and writes nothing after end()', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    stream.full = true;
    writer.write(results('a'));
    writer.write(results('b'));
    writer.end();
    writer.write(credit(1));
    expect(stream.ended).to.equal(false);
    stream.drained();
    expect(stream.written).to.deep.equal(['results a', 'results b']);
    expect(stream.ended).to.equal(true);
  });

  it('drops what it holds once the stream is over, and stops listening for drain', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    stream.full = true;
    writer.write(results('a'));
    writer.write(results('b'));
    writer.close();
    expect(stream.listenerCount('drain')).to.equal(0);
    writer.write(results('c'));
    stream.drained();
    expect(stream.written).to.deep.equal(['results a']);
  });

  it('tryWrite() writes only when nothing waits: never holds a message, never gets ahead of held ones', () => {
    const stream = new FakeStream();
    const writer = new OrderedWriter(stream);
    expect(writer.tryWrite(progress('p1'))).to.equal(true);
    stream.full = true;
    expect(writer.tryWrite(progress('p2')), 'accepted, though the buffer is now full').to.equal(true);
    expect(writer.tryWrite(progress('p3'))).to.equal(false);
    writer.write(results('a'));
    expect(writer.tryWrite(progress('p4'))).to.equal(false);
    expect(writer.heldCount).to.equal(1);
    stream.drained();
    expect(stream.written).to.deep.equal(['progress p1', 'progress p2', 'results a']);
    expect(writer.tryWrite(progress('p5'))).to.equal(true);
    writer.end();
    expect(writer.tryWrite(progress('p6')), 'nothing after end()').to.equal(false);
    expect(stream.written.at(-1)).to.equal('progress p5');
  });
});
