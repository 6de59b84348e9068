import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { CallGuard } from '../../../coordinator/api/call-guard';
import { TaskWatch, type WatchCall } from '../../../coordinator/api/task-watch';
import { Authenticator } from '../../../coordinator/security/authenticator';
import { ANONYMOUS } from '../../../coordinator/security/principal';
import { TokenRegistry } from '../../../coordinator/security/token-registry';
import { parseTokensFile } from '../../../coordinator/security/tokens-file';
import { TaskState, type Task } from '../../../shared/gen/baton/v1/task';
import type { WatchTaskResponse } from '../../../shared/gen/baton/v1/task_queue';
import { silentLogger } from '../../../shared/logger';
import { EngineHarness, settle } from '../../support/engine-harness';

const TOKEN = 'watch-client-token-0123456789';
const OTHER_TOKEN = 'other-client-token-0123456789';

/** A server stream whose buffer the test fills and drains at will. */
class FakeWatchCall extends EventEmitter implements WatchCall {
  readonly written: Task[] = [];
  ended = false;
  errors: unknown[] = [];
  accepting = true;

  write(message: WatchTaskResponse): boolean {
    if (message.task) this.written.push(message.task);
    return this.accepting;
  }
  end(): void {
    this.ended = true;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'error') return super.emit(event, ...args);
    this.errors.push(args[0]); // grpc-js turns it into the call's status
    return true;
  }
  drain(): void {
    this.accepting = true;
    this.emit('drain');
  }
}

describe('TaskWatch', () => {
  let h: EngineHarness;
  let released: boolean[];
  let authenticator: Authenticator;
  let guard: CallGuard;

  beforeEach(() => {
    h = new EngineHarness();
    released = [];
    authenticator = new Authenticator(TokenRegistry.of(parseTokensFile(`client ${TOKEN}`, 'tokens')));
    guard = new CallGuard(authenticator, silentLogger());
  });
  afterEach(() => h.close());

  function watch(call: FakeWatchCall, stallMs = 1000): TaskWatch {
    return new TaskWatch(call, {
      engine: h.engine,
      clock: h.clock,
      log: silentLogger(),
      stallMs,
      release: (reset) => void released.push(reset),
      track: guard.track.bind(guard),
      current: guard.current.bind(guard),
    });
  }

  it('sends neither payload nor result, and the attempts only with the final state', async () => {
    const [id] = await h.submit(1, { payload: Buffer.alloc(4096, 1) });
    const call = new FakeWatchCall();
    await watch(call).start(id!, ANONYMOUS, () => undefined);
    await h.engine.cancel(id!);
    await settle();
    expect(call.written.map((task) => task.state)).to.deep.equal([TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_CANCELED]);
    expect(call.written.every((task) => task.payload.length === 0 && task.result.length === 0)).to.equal(true);
    expect(call.ended).to.equal(true);
    expect(released).to.deep.equal([false]);
  });

  it('holds only the newest state for a client that does not read, and ends once it drains', async () => {
    const [id] = await h.submit(1);
    const call = new FakeWatchCall();
    call.accepting = false; // the first write fills the buffer
    await watch(call).start(id!, ANONYMOUS, () => undefined);
    const worker = h.connect('w', 1);
    await settle(); // running
    await h.engine.workers.report(worker.sessionId, [{ leaseId: worker.channel.grants[0]!.lease.leaseId, kind: 'success', result: Buffer.from('1'), contentType: 'application/json' }]);
    await settle();
    expect(call.written.map((task) => task.state)).to.deep.equal([TaskState.TASK_STATE_QUEUED]);
    expect(call.ended).to.equal(false);
    call.drain();
    expect(call.written.map((task) => task.state)).to.deep.equal([TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_SUCCEEDED]);
    expect(call.ended).to.equal(true);
  });

  it('drops a client that reads nothing for the stall timeout with RESOURCE_EXHAUSTED', async () => {
    const [id] = await h.submit(1);
    const call = new FakeWatchCall();
    call.accepting = false;
    await watch(call, 500).start(id!, ANONYMOUS, () => undefined);
    h.clock.advance(499);
    expect(call.errors).to.deep.equal([]);
    h.clock.advance(1);
    expect(call.errors).to.have.length(1);
    expect(call.errors[0]).to.include({ code: 8, details: 'the watch was dropped: its client read nothing for 500ms (watchStallTimeout)' });
    expect(released).to.deep.equal([false]);
  });

  it('sends nothing, not even a change that commits meanwhile, to a caller the check refuses', async () => {
    const [id] = await h.submit(1);
    const call = new FakeWatchCall();
    const outcome = watch(call)
      .start(id!, ANONYMOUS, () => {
        throw new Error('not your queue');
      })
      .then(
        () => 'admitted',
        (err: unknown) => (err as Error).message,
      );
    await h.engine.cancel(id!); // commits while the watch reads the task
    expect(await outcome).to.equal('not your queue');
    await settle();
    expect(call.written).to.deep.equal([]);
  });

  it('ends when a credentials reload revokes its token, and keeps going while it still stands', async () => {
    const [id] = await h.submit(1);
    const call = new FakeWatchCall();
    const caller = authenticator.authenticate({ authorization: [`Bearer ${TOKEN}`], certificate: undefined });
    await watch(call).start(id!, caller, () => undefined);
    expect(guard.revalidate()).to.equal(0);
    authenticator.replaceTokens(TokenRegistry.of(parseTokensFile(`client ${OTHER_TOKEN}`, 'tokens')));
    expect(guard.revalidate()).to.equal(1);
    expect(call.errors[0]).to.include({ code: 16, details: 'the token of this call was revoked' });
    expect(released).to.deep.equal([false]);
  });

  it('gives its slot back as a reset when the client cancels', async () => {
    const [id] = await h.submit(1);
    const call = new FakeWatchCall();
    await watch(call).start(id!, ANONYMOUS, () => undefined);
    call.emit('cancelled');
    expect(released).to.deep.equal([true]);
  });
});
