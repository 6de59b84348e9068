import { expect } from 'chai';
import type { Clock } from '../../../shared/clock';
import { BatonError } from '../../../shared/errors';
import { Task, TaskState } from '../../../shared/gen/baton/v1/task';
import { waitForTerminalTask, type WaitDependencies, type WatchTask } from '../../../client/wait-for-task';

const task = (state: TaskState): Task => Task.fromPartial({ id: 't1', state });
const queued = task(TaskState.TASK_STATE_QUEUED);
const running = task(TaskState.TASK_STATE_RUNNING);
const succeeded = task(TaskState.TASK_STATE_SUCCEEDED);

/** One watch: the tasks it yields, then how it ends. */
interface Script {
  readonly tasks: Task[];
  readonly then: 'end' | 'hang' | BatonError;
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.throwIfAborted();
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** A watch that plays one script per call and counts the calls. */
function scriptedWatch(scripts: Script[]): { watch: WatchTask; calls: () => number } {
  let calls = 0;
  const watch: WatchTask = (signal) => {
    const script = scripts[calls++];
    if (!script) throw new Error('watched more often than scripted');
    return (async function* () {
      for (const t of script.tasks) yield t;
      if (script.then === 'hang') await untilAborted(signal);
      else if (script.then instanceof BatonError) throw script.then;
    })();
  };
  return { watch, calls: () => calls };
}

/** A clock whose timers fire only when the test says so, and a sleep that records and returns. */
function fakeDependencies(): { deps: WaitDependencies; fireTimers: () => void; sleeps: number[] } {
  const timers = new Set<() => void>();
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => 0,
    setTimer(callback) {
      timers.add(callback);
      return { cancel: () => timers.delete(callback) };
    },
  };
  const deps: WaitDependencies = {
    clock,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
    },
  };
  const fireTimers = (): void => {
    for (const timer of [...timers]) {
      timers.delete(timer);
      timer();
    }
  };
  return { deps, fireTimers, sleeps };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('waitForTerminalTask', () => {
  it('resolves with the first terminal task', async () => {
    const { watch, calls } = scriptedWatch([{ tasks: [queued, running, succeeded], then: 'hang' }]);
    const { deps } = fakeDependencies();
    expect(await waitForTerminalTask('t1', watch, {}, deps)).to.equal(succeeded);
    expect(calls()).to.equal(1);
  });

  it('watches again with growing backoff when streams end or drop early', async () => {
    const { watch, calls } = scriptedWatch([
      { tasks: [queued], then: 'end' },
      { tasks: [], then: new BatonError('UNAVAILABLE', 'connection dropped') },
      { tasks: [], then: new BatonError('CANCELLED', 'server going away') },
      { tasks: [running, succeeded], then: 'end' },
    ]);
    const { deps, sleeps } = fakeDependencies();
    expect(await waitForTerminalTask('t1', watch, {}, deps)).to.equal(succeeded);
    expect(calls()).to.equal(4);
    expect(sleeps).to.have.length(3);
    // Jitter only shortens: 100ms, then up to 200ms, then up to 400ms.
    expect(sleeps[0]).to.be.within(80, 100);
    expect(sleeps[1]).to.be.within(160, 200);
    expect(sleeps[2]).to.be.within(320, 400);
  });

  it('hands onUpdate every task watched, across re-watches, the terminal one included', async () => {
    const { watch } = scriptedWatch([
      { tasks: [queued, running], then: new BatonError('UNAVAILABLE', 'x') },
      { tasks: [running, succeeded], then: 'end' },
    ]);
    const seen: Task[] = [];
    await waitForTerminalTask('t1', watch, { onUpdate: (t) => seen.push(t) }, fakeDependencies().deps);
    expect(seen).to.deep.equal([queued, running, running, succeeded]);
  });

  it('starts the backoff over once a watch delivers again', async () => {
    const { watch } = scriptedWatch([
      { tasks: [queued], then: new BatonError('UNAVAILABLE', 'x') },
      { tasks: [], then: new BatonError('UNAVAILABLE', 'x') },
      { tasks: [running], then: new BatonError('UNAVAILABLE', 'x') },
      { tasks: [succeeded], then: 'end' },
    ]);
    const { deps, sleeps } = fakeDependencies();
    await waitForTerminalTask('t1', watch, {}, deps);
    expect(sleeps[2]).to.be.within(80, 100);
  });

  it('rejects at once when the very first watch fails (unreachable, unknown id)', async () => {
    const unavailable = new BatonError('UNAVAILABLE', 'coordinator at x is unavailable');
    const { watch, calls } = scriptedWatch([{ tasks: [], then: unavailable }]);
    expect(await rejection(waitForTerminalTask('t1', watch, {}, fakeDependencies().deps))).to.equal(unavailable);
    expect(calls()).to.equal(1);
  });

  it('does not retry errors that will not go away', async () => {
    const notFound = new BatonError('NOT_FOUND', 'task t1 not found');
    const { watch } = scriptedWatch([
      { tasks: [queued], then: new BatonError('UNAVAILABLE', 'x') },
      { tasks: [], then: notFound },
    ]);
    expect(await rejection(waitForTerminalTask('t1', watch, {}, fakeDependencies().deps))).to.equal(notFound);
  });

  it('rejects with DEADLINE_EXCEEDED when the timeout fires, ending the watch', async () => {
    const { watch } = scriptedWatch([{ tasks: [queued], then: 'hang' }]);
    const { deps, fireTimers } = fakeDependencies();
    const waiting = waitForTerminalTask('t1', watch, { timeoutMs: 30_000 }, deps);
    await new Promise((resolve) => setImmediate(resolve));
    fireTimers();
    const err = await rejection(waiting);
    expect(err).to.be.instanceOf(BatonError);
    expect((err as BatonError).code).to.equal('DEADLINE_EXCEEDED');
    expect((err as BatonError).message).to.equal('task t1 did not finish within 30s');
  });

  it("rejects with the caller's abort reason", async () => {
    const { watch } = scriptedWatch([{ tasks: [queued], then: 'hang' }]);
    const controller = new AbortController();
    const waiting = waitForTerminalTask('t1', watch, { signal: controller.signal }, fakeDependencies().deps);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await rejection(waiting)).to.equal(reason);
  });

  it('rejects an already aborted signal and a bad timeout without watching', async () => {
    const { watch, calls } = scriptedWatch([]);
    const reason = new Error('already');
    const deps = fakeDependencies().deps;
    expect(await rejection(waitForTerminalTask('t1', watch, { signal: AbortSignal.abort(reason) }, deps))).to.equal(reason);
    const err = await rejection(waitForTerminalTask('t1', watch, { timeoutMs: -1 }, deps));
    expect((err as BatonError).code).to.equal('INVALID_ARGUMENT');
    expect(calls()).to.equal(0);
  });
});
