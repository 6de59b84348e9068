import { expect } from 'chai';
import type { TaskResult } from '../../../shared/gen/baton/v1/worker_service';
import { ResultOutbox, type ResultSender } from '../../../worker/result-outbox';

class RecordingSender implements ResultSender {
  readonly messages: TaskResult[][] = [];
  readonly credits: number[] = [];
  results(results: TaskResult[]): void {
    if (results.length > 0) this.messages.push(results);
  }
  credit(slots: number): void {
    if (slots > 0) this.credits.push(slots);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const success = (bytes: number) => ({ kind: 'success' as const, result: Buffer.alloc(bytes, 120), contentType: 'application/json' });

describe('ResultOutbox', () => {
  it('sends the results and freed slots of one turn together, and keeps them until settled', async () => {
    const sender = new RecordingSender();
    const outbox = new ResultOutbox(() => sender);
    outbox.add('a', success(1));
    outbox.slotFreed();
    outbox.add('b', { kind: 'failure', message: 'no', nonRetryable: false, errorType: 'Error' });
    outbox.slotFreed();
    await turn();
    expect(sender.messages.map((m) => m.map((r) => r.leaseId))).to.deep.equal([['a', 'b']]);
    expect(sender.credits).to.deep.equal([2]);
    expect(outbox.pending).to.equal(2);
    outbox.settle('a');
    expect([...outbox.leaseIds()]).to.deep.equal(['b']);
  });

  it('holds results while disconnected and resends everything unsettled after a Welcome', async () => {
    const connection: { link?: RecordingSender } = {};
    const outbox = new ResultOutbox(() => connection.link);
    outbox.add('a', success(1));
    outbox.slotFreed();
    await turn();
    const link = new RecordingSender();
    connection.link = link;
    outbox.resendAll(link);
    expect(link.messages.map((m) => m.map((r) => r.leaseId))).to.deep.equal([['a']]);
    expect(link.credits, 'credit is recomputed by the next Hello, not replayed').to.deep.equal([]);
  });

  it('turns a result over the limit into a non-retryable failure, and splits big batches', async () => {
    const sender = new RecordingSender();
    const outbox = new ResultOutbox(() => sender);
    outbox.maxResultBytes = 100;
    outbox.add('huge', success(101));
    outbox.add('big1', success(60));
    outbox.add('big2', success(60));
    await turn();
    const [first, second] = sender.messages;
    const huge = first![0]!;
    expect(huge.outcome?.$case).to.equal('failure');
    expect(huge.outcome?.$case === 'failure' && huge.outcome.value).to.include({ nonRetryable: true, errorType: 'ResultTooLarge' });
    expect(first!.map((r) => r.leaseId)).to.deep.equal(['huge', 'big1']);
    expect(second!.map((r) => r.leaseId)).to.deep.equal(['big2']);
  });
});
