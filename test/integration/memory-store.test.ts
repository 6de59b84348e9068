import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { parsePromText, series } from '../support/prom-text';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';

describe('a coordinator with --store memory', function () {
  this.timeout(60_000);
  const group = new ProcessGroup();
  let coordinator: CoordinatorHandle;
  let client: BatonClient;

  before(async () => {
    coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--store', 'memory'] });
    await startWorker(group, coordinator.address, { concurrency: 4 });
    client = new BatonClient({ address: coordinator.address });
  });

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it('warns at start-up that nothing survives a restart, and says which store it runs', async () => {
    const warning = await coordinator.process.waitForLog((line) => line.store === 'memory' && line.level === 40, 'the memory-store warning');
    expect(warning.msg).to.match(/nothing survives a restart/);
    const listening = await coordinator.process.waitForLog((line) => line.msg === 'coordinator listening', 'coordinator listening');
    expect(listening).to.include({ store: 'memory' });
    expect(listening).not.to.have.property('data');
  });

  it('runs a submitted task to success with a real worker', async () => {
    const { task } = await client.submit('noop', { n: 7 });
    const done = await client.wait(task.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(client.decodeResult(done)).to.deep.equal({ n: 7 });
    expect(done.attempts).to.have.length(1);
    const listed = await client.list({ state: 'succeeded' });
    expect(listed.tasks.map((t) => t.id)).to.include(task.id);
    const metrics = parsePromText(await (await fetch(`http://127.0.0.1:${coordinator.httpPort}/metrics`)).text());
    expect(metrics.get(series('baton_tasks_finished_total', { queue: 'default', state: 'succeeded' }))).to.equal(1);
  });

  it('creates no data directory', () => {
    expect(existsSync(coordinator.dataDir), coordinator.dataDir).to.equal(false);
  });
});
