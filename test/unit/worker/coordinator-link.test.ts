import type { ClientDuplexStream } from '@grpc/grpc-js';
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { ConnectRequest, ConnectResponse, WorkerServiceClient } from '../../../shared/gen/baton/v1/worker_service';
import { CoordinatorLink } from '../../../worker/coordinator-link';
import type { LinkError, LinkHandlers } from '../../../worker/worker-link';

/** A Connect call whose send buffer the test fills and drains. */
class FakeCall extends EventEmitter {
  readonly written: string[] = [];
  full = false;
  ended = false;
  write(request: ConnectRequest): boolean {
    this.written.push(request.message?.$case ?? 'empty');
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    this.emit('error', { code: 1, details: 'Cancelled on client' });
  }
}

function open(): { call: FakeCall; link: CoordinatorLink; closed: (LinkError | undefined)[] } {
  const call = new FakeCall();
  const client = { connect: () => call as unknown as ClientDuplexStream<ConnectRequest, ConnectResponse> } as unknown as Pick<WorkerServiceClient, 'connect'>;
  const closed: (LinkError | undefined)[] = [];
  const handlers: LinkHandlers = { welcome: () => undefined, leases: () => undefined, cancel: () => undefined, acks: () => undefined, closed: (error) => closed.push(error) };
  return { call, link: new CoordinatorLink(client, handlers), closed };
}

const result = { leaseId: 'a', outcome: { $case: 'success' as const, value: { result: Buffer.from('1'), contentType: '' } } };

describe('CoordinatorLink', () => {
  it("honours the stream's back-pressure: results and credits wait, in order, until it drains, and the half-close after them", () => {
    const { call, link } = open();
    link.hello({ workerId: 'w', queues: [], taskTypes: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' });
    call.full = true;
    link.results([result]);
    link.credit(1);
    link.results([{ ...result, leaseId: 'b' }]);
    link.end();
    expect(call.written).to.deep.equal(['hello', 'results']);
    expect(call.ended).to.equal(false);
    call.full = false;
    call.emit('drain');
    expect(call.written).to.deep.equal(['hello', 'results', 'credit', 'results']);
    expect(call.ended).to.equal(true);
  });

  it('reports the end of the stream once, and writes nothing after it', () => {
    const { call, link, closed } = open();
    call.emit('error', { code: 14, details: 'gone' });
    call.emit('end');
    link.credit(1);
    expect(closed).to.deep.equal([{ code: 14, details: 'gone' }]);
    expect(call.written).to.deep.equal([]);
  });

  it('sends progress only when the stream takes it at once, and says so', () => {
    const { call, link } = open();
    const reports = [{ leaseId: 'a', fraction: 0.5, message: '' }];
    expect(link.progress([]), 'an empty list: nothing to send').to.equal(true);
    expect(call.written).to.deep.equal([]);
    expect(link.progress(reports)).to.equal(true);
    call.full = true;
    link.results([result]);
    expect(link.progress(reports), 'results wait for the drain: progress does not queue behind them').to.equal(false);
    call.full = false;
    call.emit('drain');
    expect(call.written).to.deep.equal(['progress', 'results']);
    call.emit('end');
    expect(link.progress(reports), 'the stream is over').to.equal(false);
  });
});
