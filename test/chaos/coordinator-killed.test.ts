import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { FAST_FAILURE_ARGS } from '../support/chaos';

const TOTAL = 2000;
const RESUBMIT_DELAY_MS = 50;

describe('chaos: SIGKILL the coordinator twice during 2,000 submissions', function () {
  this.timeout(240_000);
  const { group, client: clientFor } = useTestProcesses();
  let client: BatonClient | undefined;

  it('runs every acknowledged submission, and stores none twice', async () => {
    const dir = group.tempDir();
    const dataDir = join(dir, 'data');
    let coordinator: CoordinatorHandle = await startCoordinator(group, { dataDir, args: [...FAST_FAILURE_ARGS] });
    const port = coordinator.port;
    await startWorker(group, coordinator.address, { concurrency: 32 });
    client = clientFor(coordinator.address);

    // Submitters retry until acknowledged, with the same idempotency key, as a careful client does.
    const acknowledged = new Map<string, string>();
    let rejectedWhileDown = 0;
    const submitOne = async (n: number): Promise<void> => {
      for (;;) {
        try {
          const { task } = await client!.submit('noop', { n }, { idempotencyKey: `load-${n}` });
          acknowledged.set(`load-${n}`, task.id);
          return;
        } catch (err: unknown) {
          if ((err as { code?: string }).code !== 'UNAVAILABLE') throw err;
          rejectedWhileDown += 1;
          await new Promise((resolve) => setTimeout(resolve, RESUBMIT_DELAY_MS));
        }
      }
    };
    let next = 0;
    const submitters = Array.from({ length: 16 }, async () => {
      while (next < TOTAL) await submitOne(next++);
    });

    for (const threshold of [600, 1300]) {
      while (acknowledged.size < threshold) await Promise.race([...submitters, new Promise((r) => setImmediate(r))]);
      await coordinator.process.kill();
      coordinator = await startCoordinator(group, { dataDir, port, args: [...FAST_FAILURE_ARGS] });
    }
    await Promise.all(submitters);
    expect(acknowledged.size).to.equal(TOTAL);
    expect(rejectedWhileDown, 'some submissions hit a dead coordinator').to.be.greaterThan(0);

    const finished = await Promise.all([...acknowledged.values()].map((id) => client!.wait(id, { timeoutMs: 120_000 })));
    expect(finished.filter((t) => t.state !== TaskState.TASK_STATE_SUCCEEDED)).to.have.length(0);

    const stored: string[] = [];
    for (let token = ''; ; ) {
      const page = await client.list({ pageSize: 1000, pageToken: token });
      stored.push(...page.tasks.map((t) => t.idempotencyKey));
      token = page.nextPageToken;
      if (!token) break;
    }
    expect(stored).to.have.length(TOTAL);
    expect(new Set(stored).size).to.equal(TOTAL);
  });
});
