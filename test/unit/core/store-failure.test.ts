import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../../coordinator/core/engine';
import { SqliteTaskStore } from '../../../coordinator/store/sqlite-store';
import type { Mutation, TaskStore } from '../../../coordinator/core/task-store';
import { UnavailableError } from '../../../shared/errors';
import { silentLogger } from '../../../shared/logger';
import { RecordingChannel, settle } from '../../support/engine-harness';
import { FakeClock } from '../../support/fake-clock';
import { taskSpec } from '../../support/tasks';

/** The real store, whose writes can be made to fail as a full disk would fail them. */
class FailingStore {
  failing = false;
  failingReads = false;
  constructor(readonly real: SqliteTaskStore) {}

  asTaskStore(): TaskStore {
    return new Proxy(this.real, {
      get: (target, property, receiver) => {
        if (property === 'write') {
          return (mutations: readonly Mutation[]) =>
            this.failing ? Promise.reject(new Error('disk I/O error')) : target.write(mutations);
        }
        if (property === 'readPayload') {
          return (id: string) => {
            if (this.failingReads) throw new Error('disk I/O error (read)');
            return target.readPayload(id);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

const SPEC = taskSpec();

describe('Engine when the store fails a write', () => {
  let dir: string;
  let store: FailingStore;
  let engine: Engine;
  let failures: unknown[];
  const clock = new FakeClock();

  function open(): void {
    store = new FailingStore(SqliteTaskStore.open({ dataDir: dir, synchronous: 'NORMAL', commitIntervalMs: 0, logger: silentLogger() }));
    failures = [];
    engine = new Engine({
      store: store.asTaskStore(),
      clock,
      logger: silentLogger(),
      options: { heartbeatIntervalMs: 200, leaseTimeoutMs: 1000 },
      onStoreFailure: (err) => failures.push(err),
    });
    engine.start();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-store-failure-'));
    open();
  });
  afterEach(async () => {
    await engine.close();
    await store.real.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops taking requests, asks the worker to resend, and a restart picks up from the store', async () => {
    const channel = new RecordingChannel();
    const hello = { principal: 'anonymous', workerId: 'w', hostname: '', queues: ['default'], types: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' };
    const { sessionId, resumeSecret } = engine.workers.open(hello, channel);
    const [outcome] = await engine.submit([SPEC]);
    await settle();
    const lease = channel.grants[0]!.lease;

    store.failing = true;
    const [ack] = await engine.workers.report(sessionId, [{ leaseId: lease.leaseId, kind: 'success', result: Buffer.from('1'), contentType: 'application/json' }]);
    expect(ack!.error?.code).to.equal('UNAVAILABLE');
    expect(failures).to.have.length(1);
    const refused = await engine.submit([SPEC]).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(UnavailableError);

    // Restart on the same file: the store says RUNNING, so the worker can reclaim and resend.
    store.failing = false;
    await engine.close();
    await store.real.close();
    open();
    const back = engine.workers.open({ ...hello, heldLeaseIds: [lease.leaseId], resumeSecret }, new RecordingChannel());
    expect(back.reclaimedLeaseIds).to.deep.equal([lease.leaseId]);
    const [again] = await engine.workers.report(back.sessionId, [{ leaseId: lease.leaseId, kind: 'success', result: Buffer.from('1'), contentType: 'application/json' }]);
    expect(again!.error).to.equal(undefined);
    expect((await engine.get(outcome!.task.id)).task.state).to.equal('succeeded');
  });

  it('grants no lease when the payload cannot be read: the worker keeps its credit, and the store failure stops the coordinator', async () => {
    const channel = new RecordingChannel();
    const hello = { principal: 'anonymous', workerId: 'w', hostname: '', queues: ['default'], types: [], concurrency: 1, heldLeaseIds: [], resumeSecret: '' };
    const { sessionId } = engine.workers.open(hello, channel);
    store.failingReads = true;
    const [outcome] = await engine.submit([SPEC]);
    await settle();
    expect(channel.grants).to.deep.equal([]);
    expect(engine.workers.sessions.get(sessionId)?.credit).to.equal(1);
    expect(engine.workers.leases.size).to.equal(0);
    expect(failures).to.have.length(1);
    expect((await engine.get(outcome!.task.id)).task.state, 'still queued in the store, for the restart').to.equal('queued');
  });

  it('rejects a submission with an idempotency key cleanly, with no stray rejection', async () => {
    const stray: unknown[] = [];
    const onStray = (reason: unknown): void => void stray.push(reason);
    process.on('unhandledRejection', onStray);
    try {
      store.failing = true;
      const err = await engine.submit([{ ...SPEC, idempotencyKey: 'k' }]).catch((e: unknown) => e);
      expect((err as Error).message).to.equal('disk I/O error');
      await settle();
    } finally {
      process.off('unhandledRejection', onStray);
    }
    expect(stray, 'a rejection nobody handles would crash the coordinator').to.deep.equal([]);
    expect(failures).to.have.length(1);
  });
});
