import { expect } from 'chai';
import { MAX_COALESCED_BYTES, MAX_COALESCED_SUBMITS, SubmitCoalescer } from '../../../client/submit-coalescer';
import { BatonError } from '../../../shared/errors';
import { SubmitTaskRequest, type SubmitTaskResponse } from '../../../shared/gen/baton/v1/task_queue';

/** Records every call; answers each request with a task whose type echoes the request's. */
class RecordingCalls {
  readonly calls: Array<{ kind: 'one' | 'many'; types: string[] }> = [];
  failMany: BatonError | undefined;
  refuse = new Set<string>();

  readonly options = {
    sendOne: (request: SubmitTaskRequest): Promise<SubmitTaskResponse> => {
      this.calls.push({ kind: 'one', types: [request.type] });
      if (this.refuse.has(request.type)) return Promise.reject(new BatonError('INVALID_ARGUMENT', `type: ${request.type} is refused`));
      return Promise.resolve(answer(request));
    },
    sendMany: (requests: SubmitTaskRequest[]): Promise<SubmitTaskResponse[]> => {
      this.calls.push({ kind: 'many', types: requests.map((request) => request.type) });
      if (this.failMany) return Promise.reject(this.failMany);
      if (requests.some((request) => this.refuse.has(request.type))) return Promise.reject(new BatonError('INVALID_ARGUMENT', 'tasks[1].type: refused'));
      return Promise.resolve(requests.map(answer));
    },
  };
}

function answer(request: SubmitTaskRequest): SubmitTaskResponse {
  return { task: { id: `id-${request.type}`, type: request.type } as SubmitTaskResponse['task'], deduplicated: false };
}

function request(type: string, payloadBytes = 10): SubmitTaskRequest {
  return SubmitTaskRequest.fromPartial({ type, payload: Buffer.alloc(payloadBytes) });
}

const typesOf = (responses: SubmitTaskResponse[]): string[] => responses.map((response) => response.task!.type);

/** The error code each settled promise was rejected with (undefined when it was fulfilled). */
const rejectionCodes = (outcomes: Array<PromiseSettledResult<unknown>>): Array<string | undefined> =>
  outcomes.map((outcome) => (outcome.status === 'rejected' && outcome.reason instanceof BatonError ? outcome.reason.code : undefined));

describe('SubmitCoalescer', () => {
  it('sends a lone submit as one SubmitTask', async () => {
    const calls = new RecordingCalls();
    const response = await new SubmitCoalescer(calls.options).submit(request('a'));
    expect(response.task?.type).to.equal('a');
    expect(calls.calls).to.deep.equal([{ kind: 'one', types: ['a'] }]);
  });

  it('sends the submits of one turn as one SubmitTasks, and gives each its own response', async () => {
    const calls = new RecordingCalls();
    const coalescer = new SubmitCoalescer(calls.options);
    const responses = await Promise.all(['a', 'b', 'c'].map((type) => coalescer.submit(request(type))));
    expect(typesOf(responses)).to.deep.equal(['a', 'b', 'c']);
    expect(calls.calls).to.deep.equal([{ kind: 'many', types: ['a', 'b', 'c'] }]);
  });

  it('resends each submit of a batch refused for one request alone, so only that one fails', async () => {
    const calls = new RecordingCalls();
    calls.refuse.add('bad');
    const coalescer = new SubmitCoalescer(calls.options);
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((type) => coalescer.submit(request(type))));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason as BatonError;
    expect(refused.code).to.equal('INVALID_ARGUMENT');
    expect(refused.message, 'the message of the submit alone, not of the batch').to.equal('type: bad is refused');
    expect(calls.calls.map((call) => call.kind)).to.deep.equal(['many', 'one', 'one', 'one']);
  });

  it('fails every submit of a batch whose call failed as a whole, without resending', async () => {
    const calls = new RecordingCalls();
    calls.failMany = new BatonError('UNAVAILABLE', 'coordinator unreachable');
    const coalescer = new SubmitCoalescer(calls.options);
    const outcomes = await Promise.allSettled(['a', 'b'].map((type) => coalescer.submit(request(type))));
    expect(rejectionCodes(outcomes)).to.deep.equal(['UNAVAILABLE', 'UNAVAILABLE']);
    expect(calls.calls).to.have.length(1);
  });

  it('sends a large payload alone and at once', async () => {
    const calls = new RecordingCalls();
    const coalescer = new SubmitCoalescer(calls.options);
    await Promise.all([coalescer.submit(request('small')), coalescer.submit(request('large', 100 * 1024))]);
    expect(calls.calls).to.deep.include({ kind: 'one', types: ['large'] });
    expect(calls.calls).to.deep.include({ kind: 'one', types: ['small'] });
  });

  it('splits a turn at the byte and the count limits', async () => {
    const calls = new RecordingCalls();
    const coalescer = new SubmitCoalescer(calls.options);
    const bytes = 50 * 1024;
    const perCall = Math.floor(MAX_COALESCED_BYTES / (bytes + 256));
    await Promise.all(Array.from({ length: perCall + 1 }, (_, i) => coalescer.submit(request(`b${i}`, bytes))));
    expect(calls.calls.map((call) => call.types.length)).to.deep.equal([perCall, 1]);

    calls.calls.length = 0;
    await Promise.all(Array.from({ length: MAX_COALESCED_SUBMITS + 2 }, (_, i) => coalescer.submit(request(`c${i}`, 0))));
    expect(calls.calls.map((call) => call.types.length)).to.deep.equal([MAX_COALESCED_SUBMITS, 2]);
  });

  it('rejects a submit the coordinator left without a response', async () => {
    const coalescer = new SubmitCoalescer({ sendOne: () => Promise.resolve(answer(request('x'))), sendMany: () => Promise.resolve([]) });
    const outcomes = await Promise.allSettled([coalescer.submit(request('a')), coalescer.submit(request('b'))]);
    expect(rejectionCodes(outcomes)).to.deep.equal(['INTERNAL', 'INTERNAL']);
  });
});
