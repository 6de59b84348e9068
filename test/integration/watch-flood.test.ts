import { expect } from 'chai';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { BatonClient, BatonError, taskStateName, type Task, type TaskStateName } from '../../client/index';
import { Http2FrameTap } from '../support/http2-frame-tap';
import { startCoordinator, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';

/*
 * Node's HTTP/2 server (nghttp2 >= 1.57, the CVE-2023-44487 "rapid reset" fix) allows each
 * connection a bucket of 1,000 received RST_STREAM frames, refilled at 33 per second; the
 * next one makes it send GOAWAY(INTERNAL_ERROR), and the client then fails every call on that
 * connection, whichever BatonClient made it. Cancelling a watch (an aborted or timed-out
 * `wait`) sends one RST_STREAM. These tests hold the coordinator and the SDK to keeping a
 * connection usable however many watches a process opens and cancels.
 */

/** Over the 1,000-reset burst with room for the 33/s refill while the resets go out. */
const FLOOD_WATCHES = 1_500;
/** Watches per wave: well under the burst, yet three waves within a few seconds exceed it. */
const WAVE_WATCHES = 600;
const WAVES = 3;
/** Enough waits finishing together that the SDK's resets, if it sends any, show. */
const FINISHING_WAITS = 300;

/** No worker serves this queue: its tasks stay QUEUED until cancelled. */
const IDLE_QUEUE = 'idle';

/** A watch running in the background, as the SDK's `wait` runs one. */
interface BackgroundWatch {
  /** True at the first snapshot; false if the watch failed first (say, refused past a limit). */
  readonly opened: Promise<boolean>;
  /** The state names seen until the stream ended; rejects as the watch does. */
  readonly states: Promise<TaskStateName[]>;
}

function watchInBackground(client: BatonClient, id: string, signal?: AbortSignal): BackgroundWatch {
  let settleOpened: (opened: boolean) => void = () => undefined;
  const opened = new Promise<boolean>((resolve) => (settleOpened = resolve));
  const states = (async () => {
    const seen: TaskStateName[] = [];
    try {
      for await (const task of client.watch(id, signal)) {
        seen.push(taskStateName(task.state));
        settleOpened(true);
      }
      return seen;
    } finally {
      settleOpened(false); // a no-op after the first snapshot
    }
  })();
  states.catch(() => undefined); // awaited later; this only keeps an early failure from being "unhandled"
  return { opened, states };
}

/** 'ok', or the error's code and message: compared as data so a failure shows every outcome. */
async function outcomeOf<T>(promise: Promise<T>, onValue: (value: T) => unknown = () => 'ok'): Promise<unknown> {
  try {
    return onValue(await promise);
  } catch (err: unknown) {
    return err instanceof BatonError ? `${err.code}: ${err.message}` : String(err);
  }
}

async function submitIdle(client: BatonClient, count: number): Promise<string[]> {
  const items = Array.from({ length: count }, () => ({ type: 'noop', options: { queue: IDLE_QUEUE } }));
  return (await client.submitMany(items)).map((result) => result.task.id);
}

/** Opens a watch on each task, waits until every one delivered (or failed), then aborts them all at once. */
async function openThenCancel(client: BatonClient, ids: readonly string[]): Promise<number> {
  const controller = new AbortController();
  setMaxListeners(ids.length + 10, controller.signal); // one abort listener per watch is expected
  const watches = ids.map((id) => watchInBackground(client, id, controller.signal));
  const opened = (await Promise.all(watches.map((watch) => watch.opened))).filter(Boolean).length;
  controller.abort();
  await Promise.allSettled(watches.map((watch) => watch.states));
  return opened;
}

/**
 * A BatonClient that counts the watches (its own or `wait`'s) that delivered a first
 * snapshot, so a test knows every stream is open without sleeping.
 */
class CountingClient extends BatonClient {
  private delivered = 0;
  private readonly waiters = new Set<() => void>();

  override watch(id: string, signal?: AbortSignal): AsyncIterable<Task> {
    const inner = super.watch(id, signal);
    const onFirst = (): void => {
      this.delivered += 1;
      for (const waiter of [...this.waiters]) waiter();
    };
    return (async function* () {
      let first = true;
      for await (const task of inner) {
        if (first) onFirst();
        first = false;
        yield task;
      }
    })();
  }

  /** Resolves once `count` watches have delivered their first snapshot. */
  firstSnapshots(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.delivered < count) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}

describe('many watches opened and cancelled on one connection', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const taps: Http2FrameTap[] = [];
  let coordinator: CoordinatorHandle;

  before(async () => {
    coordinator = await startCoordinator(processes.group, { dataDir: join(processes.group.tempDir(), 'data') });
  });

  afterEach(async () => {
    // The clients go with the processes after the suite; a tap's connections go now.
    await Promise.all(taps.map((tap) => tap.close()));
    taps.length = 0;
  });

  /** A fresh connection for each test (grpc-js shares one per address), with its frames counted. */
  async function tappedAddress(): Promise<Http2FrameTap> {
    const tap = await Http2FrameTap.start(coordinator.port);
    taps.push(tap);
    return tap;
  }

  /**
   * Watches `parked` from a second BatonClient in this process (same address and options, so
   * grpc-js puts it on the same connection) and resolves once that watch is open.
   */
  async function neighbourWatching(address: string): Promise<{ neighbour: BatonClient; parkedId: string; watch: BackgroundWatch }> {
    const neighbour = processes.client(address);
    const { task } = await neighbour.submit('noop', {}, { queue: IDLE_QUEUE });
    const watch = watchInBackground(neighbour, task.id);
    expect(await watch.opened, 'the neighbour watch opens').to.equal(true);
    return { neighbour, parkedId: task.id, watch };
  }

  /** What the client and its neighbour see after the cancellations; all 'ok' when the connection survived. */
  async function afterCancelling(
    client: BatonClient,
    neighbour: BatonClient,
    parkedId: string,
    watch: BackgroundWatch,
  ): Promise<Record<string, unknown>> {
    const get = await outcomeOf(client.get(parkedId));
    const cancel = await outcomeOf(client.cancel(parkedId));
    // If the cancel was lost, make sure the task still ends, so the neighbour watch can finish.
    if (cancel !== 'ok') await neighbour.cancel(parkedId).catch(() => undefined);
    const neighbourSaw = await outcomeOf(watch.states, (states) => states);
    return { get, cancel, neighbourSaw };
  }

  const survived = { get: 'ok', cancel: 'ok', neighbourSaw: ['queued', 'canceled'] };

  it(`cancelling ${FLOOD_WATCHES} watches at once leaves the connection working for this client and another`, async () => {
    const tap = await tappedAddress();
    const { neighbour, parkedId, watch } = await neighbourWatching(tap.address);
    const client = processes.client(tap.address);

    const opened = await openThenCancel(client, await submitIdle(client, FLOOD_WATCHES));
    expect(opened, 'watches that delivered a first snapshot').to.be.greaterThan(0);

    expect(await afterCancelling(client, neighbour, parkedId, watch), tap.describe()).to.deep.equal(survived);
  });

  it(`cancelling ${WAVES} waves of ${WAVE_WATCHES} watches leaves the connection working for this client and another`, async () => {
    const tap = await tappedAddress();
    const { neighbour, parkedId, watch } = await neighbourWatching(tap.address);
    const client = processes.client(tap.address);
    const ids = await submitIdle(client, WAVE_WATCHES);

    for (let wave = 0; wave < WAVES; wave += 1) await openThenCancel(client, ids);

    expect(await afterCancelling(client, neighbour, parkedId, watch), tap.describe()).to.deep.equal(survived);
  });

  it('a wait that sees its task finish lets the coordinator end the stream instead of resetting it', async () => {
    const tap = await tappedAddress();
    const client = new CountingClient({ address: tap.address });
    try {
      const ids = await submitIdle(client, FINISHING_WAITS);
      const waits = ids.map((id) => client.wait(id));
      await client.firstSnapshots(FINISHING_WAITS);

      await Promise.all(ids.map((id) => client.cancel(id)));
      const states = await Promise.all(waits.map(async (wait) => taskStateName((await wait).state)));
      expect(new Set(states)).to.deep.equal(new Set(['canceled']));
      // A round trip after the waits: any reset they sent is on the wire before this answer.
      await client.get(ids[0]!);

      // Nothing was aborted, so nothing should have been reset: every RST_STREAM here spent
      // the connection's reset budget on a stream the coordinator had already ended.
      expect(tap.count('fromClient', 'RST_STREAM'), tap.describe()).to.equal(0);
    } finally {
      client.close();
    }
  });
});
