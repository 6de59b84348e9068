import { expect } from 'chai';
import type { TaskResult } from '../../../shared/gen/baton/v1/worker_service';
import { ResultOutbox, type ResultSender } from '../../../worker/result-outbox';

class RecordingSender implements ResultSender {
  readonly messages: TaskResult[][] = [];
  readonly credits: number[] = [];
  /** Results and credits in the order they were sent. */
  readonly sent: string[] = [];
  results(results: TaskResult[]): void {
    if (results.length > 0) {
      this.messages.push(results);
      this.sent.push(`results ${results.map((r) => r.leaseId).join(',')}`);
    }
  }
  credit(slots: number): void {
    if (slots > 0) {
      this.credits.push(slots);
      this.sent.push(`credit ${slots}`);
    }
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const success = (bytes: number) => ({ kind: 'success' as const, result: Buffer.alloc(bytes, 120), contentType: 'application/json' });

describe('ResultOutbox', () => {
  it('sends the results and freed slots of one turn together, results first', async () => {
    const sender = new RecordingSender();
    const outbox = new ResultOutbox(() => sender);
    outbox.send(outbox.resultOf('a', success(1)));
    outbox.slotFreed();
    outbox.send(outbox.resultOf('b', { kind: 'failure', message: 'no', nonRetryable: false, errorType: 'Error' }));
    outbox.slotFreed();
    expect(sender.sent, 'nothing before the turn ends').to.deep.equal([]);
    await turn();
    expect(sender.sent).to.deep.equal(['results a,b', 'credit 2']);
  });

  it('sends nothing while disconnected, and resends what it is given after a Welcome, with no credit', async () => {
    const connection: { link?: RecordingSender } = {};
    const outbox = new ResultOutbox(() => connection.link);
    const result = outbox.resultOf('a', success(1));
    outbox.send(result);
    outbox.slotFreed();
    await turn();
    const link = new RecordingSender();
    connection.link = link;
    await turn();
    expect(link.sent, 'what a turn could not send is not kept for the next').to.deep.equal([]);
    outbox.resend(link, [result]);
    expect(link.messages.map((m) => m.map((r) => r.leaseId))).to.deep.equal([['a']]);
    expect(link.credits, 'credit is recomputed by the next Hello, not replayed').to.deep.equal([]);
  });

  it('turns a result over the limit into a non-retryable failure, and splits big batches', async () => {
    const sender = new RecordingSender();
    const outbox = new ResultOutbox(() => sender);
    outbox.maxResultBytes = 100;
    outbox.send(outbox.resultOf('huge', success(101)));
    outbox.send(outbox.resultOf('big1', success(60)));
    outbox.send(outbox.resultOf('big2', success(60)));
    await turn();
    const [first, second] = sender.messages;
    const huge = first![0]!;
    expect(huge.outcome?.$case).to.equal('failure');
    expect(huge.outcome?.$case === 'failure' && huge.outcome.value).to.include({ nonRetryable: true, errorType: 'ResultTooLarge' });
    expect(first!.map((r) => r.leaseId)).to.deep.equal(['huge', 'big1']);
    expect(second!.map((r) => r.leaseId)).to.deep.equal(['big2']);
  });

  it('passes a result on without copying its bytes', () => {
    const outbox = new ResultOutbox(() => undefined);
    const bytes = Buffer.from('{"ok":true}');
    const result = outbox.resultOf('a', { kind: 'success', result: bytes, contentType: 'application/json' });
    expect(result.outcome?.$case === 'success' && result.outcome.value.result).to.equal(bytes);
  });
});
