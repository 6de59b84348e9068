import { expect } from 'chai';
import { ProgressRecorder } from '../../../coordinator/core/progress-recorder';
import type { TaskRecord } from '../../../coordinator/core/task';
import { EngineHarness, settle } from '../../support/engine-harness';
import { makeTask } from '../../support/tasks';

describe('progress', () => {
  describe('ProgressRecorder', () => {
    it('writes at most one progress per task while a write is in flight, and then the latest', async () => {
      const written: Array<number | undefined> = [];
      const commits: Array<() => void> = [];
      const recorder = new ProgressRecorder((task: TaskRecord) => {
        written.push(task.progress?.fraction);
        return new Promise<void>((resolve) => commits.push(resolve));
      });
      const task = makeTask({ id: 't', state: 'running' });
      for (let i = 1; i <= 100; i += 1) recorder.record(task, { fraction: i / 100, message: `${i}`, atMs: i });
      expect(written).to.deep.equal([0.01]);
      commits.shift()?.();
      await settle();
      expect(written).to.deep.equal([0.01, 1]);
      commits.shift()?.();
      await settle();
      expect(written).to.have.length(2);
      expect(recorder.pending).to.equal(0);
    });

    it('ignores progress for a task that is not running', () => {
      const recorder = new ProgressRecorder(() => Promise.resolve());
      const task = makeTask({ id: 't', state: 'succeeded' });
      recorder.record(task, { fraction: 0.5, message: '', atMs: 1 });
      expect(task.progress).to.equal(null);
    });
  });

  describe('through the engine (fake clock, real store)', () => {
    let h: EngineHarness;
    beforeEach(() => {
      h = new EngineHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('stores the latest progress of the current lease, shows it to watchers, and ignores stale or foreign leases', async () => {
      const [id] = await h.submit(1);
      const worker = h.connect('w', 1);
      await settle();
      const leaseId = worker.channel.grants[0]!.lease.leaseId;
      const seen: Array<number | undefined> = [];
      h.engine.watch(id!, (task) => seen.push(task.progress?.fraction), () => undefined);
      h.engine.workers.progress(worker.sessionId, [{ leaseId, fraction: 0.42, message: 'resized 42 of 100' }]);
      await settle();
      const { task } = await h.engine.get(id!);
      expect(task.progress).to.deep.include({ fraction: 0.42, message: 'resized 42 of 100', atMs: h.clock.now() });
      expect(seen).to.include(0.42);
      const other = h.connect('other', 1);
      h.engine.workers.progress(other.sessionId, [{ leaseId, fraction: 0.9, message: 'not mine' }]);
      h.engine.workers.progress(worker.sessionId, [{ leaseId: 'no-such-lease', fraction: 0.9, message: '' }]);
      await settle();
      expect((await h.engine.get(id!)).task.progress?.fraction).to.equal(0.42);
    });

    it('starts each attempt without the previous attempt\'s progress', async () => {
      const [id] = await h.submit(1);
      const worker = h.connect('w', 1);
      await settle();
      const leaseId = worker.channel.grants[0]!.lease.leaseId;
      h.engine.workers.progress(worker.sessionId, [{ leaseId, fraction: 0.5, message: 'half' }]);
      await settle();
      await h.engine.workers.report(worker.sessionId, [{ leaseId, kind: 'failure', message: 'boom', nonRetryable: false }]);
      h.engine.workers.credit(worker.sessionId, 1);
      h.clock.advance(200); // past the retry backoff (100 ms), within the lease timeout
      await settle();
      expect(worker.channel.grants).to.have.length(2);
      expect((await h.engine.get(id!)).task.progress).to.equal(null);
    });

    it('refuses more reports in one message than the session could hold leases', () => {
      const worker = h.connect('w', 1);
      const reports = Array.from({ length: 67 }, (_, i) => ({ leaseId: `l${i}`, fraction: 0, message: '' }));
      expect(() => h.engine.workers.progress(worker.sessionId, reports)).to.throw(/progress.reports: 67 entries is over the limit of 66/);
    });
  });
});
