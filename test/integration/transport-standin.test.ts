import { expect } from 'chai';
import { BatonClient, TaskState } from '../../client/index';
import { startStandIn } from '../../bench/transport/standin-process';
import { parsePromText, series } from '../support/prom-text';
import { ProcessGroup, startWorker, type BatonProcess, type CoordinatorHandle } from '../support/processes';

const TASKS = 200;

async function finished(standIn: CoordinatorHandle): Promise<Map<string, number>> {
  return parsePromText(await (await fetch(`http://127.0.0.1:${standIn.httpPort}/metrics`)).text());
}

/** The transport stand-in of bench/transport/ must carry the real worker and client unchanged. */
describe('the transport stand-in', function () {
  this.timeout(60_000);
  const group = new ProcessGroup();
  let standIn: CoordinatorHandle;
  let worker: BatonProcess;
  let client: BatonClient;

  before(async () => {
    standIn = await startStandIn(group);
    worker = await startWorker(group, standIn.address, { concurrency: 16 });
    client = new BatonClient({ address: standIn.address });
  });

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it(`runs ${TASKS} tasks from submitMany on a real worker, each once, counted in /metrics`, async () => {
    const results = await client.submitMany(Array.from({ length: TASKS }, (_, i) => ({ type: 'noop', payload: { n: i } })));
    expect(new Set(results.map((r) => r.task.id)).size).to.equal(TASKS);
    expect(results.every((r) => r.task.state === TaskState.TASK_STATE_QUEUED)).to.equal(true);

    const last = results[TASKS - 1]!.task;
    const done = await client.wait(last.id, { timeoutMs: 30_000 });
    expect(done.state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    expect(client.decodeResult(done)).to.deep.equal({ n: TASKS - 1 });
    expect(done.attempts).to.have.length(1);

    const key = series('baton_tasks_finished_total', { queue: 'default', state: 'succeeded' });
    const deadline = Date.now() + 30_000;
    while (((await finished(standIn)).get(key) ?? 0) < TASKS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const samples = await finished(standIn);
    expect(samples.get(key)).to.equal(TASKS);
    expect(samples.get(series('baton_tasks_submitted_total', { queue: 'default' }))).to.equal(TASKS);

    // Every task ran exactly once: one attempt each, all acknowledged (no result left to resend).
    const tasks = await Promise.all(results.map((r) => client.get(r.task.id)));
    expect(tasks.every((task) => task.state === TaskState.TASK_STATE_SUCCEEDED && task.attempt === 1)).to.equal(true);
    expect(worker.lines.filter((line) => /rejected|will resend|disconnected/.test(line.msg ?? '')), 'worker complaints').to.deep.equal([]);
    expect(standIn.process.lines.filter((line) => Number(line.level) >= 40), 'stand-in warnings').to.deep.equal([]);
  });

  it('ends a watch after the terminal state, as the real coordinator does', async () => {
    const { task } = await client.submit('noop', { n: -1 });
    const states: TaskState[] = [];
    for await (const update of client.watch(task.id)) {
      states.push(update.state);
      expect(update.payload).to.have.length(0);
    }
    expect(states[states.length - 1]).to.equal(TaskState.TASK_STATE_SUCCEEDED);
  });

  it('answers NOT_FOUND for an unknown task and UNIMPLEMENTED for what it has no store for', async () => {
    const unknown = await client.get('00000000-0000-4000-8000-000000000000').then(() => undefined, (err: unknown) => err);
    expect(unknown).to.have.property('code', 'NOT_FOUND');
    const listing = await client.list().then(() => undefined, (err: unknown) => err);
    expect(listing).to.have.property('code', 'UNIMPLEMENTED');
  });
});
