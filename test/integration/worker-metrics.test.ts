import { expect } from 'chai';
import { join } from 'node:path';
import { BatonClient, TaskState } from '../../client/index';
import { ProcessGroup, startCoordinator, startWorker, type BatonProcess } from '../support/processes';
import { parsePromText, series, seriesOf } from '../support/prom-text';
import { httpGet, waitForNewLog } from '../support/security-fixtures';

const FAST_RETRY = { initialBackoff: 10, multiplier: 2, maxBackoff: 50, jitter: 0 };

const attempts = (type: string, outcome: string): string => series('baton_worker_attempts_total', { queue: 'default', type, outcome });
const handlerRuns = (type: string): string => series('baton_worker_handler_duration_seconds_count', { queue: 'default', type });

/** Every outcome of each type: the series exist, at 0, from a type's first attempt. */
type Outcome = 'succeeded' | 'failed' | 'non_retryable' | 'timed_out' | 'canceled' | 'shutdown';

function allOutcomes(counts: Record<string, Partial<Record<Outcome, number>>>): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const [type, byOutcome] of Object.entries(counts)) {
    for (const outcome of ['succeeded', 'failed', 'non_retryable', 'timed_out', 'canceled', 'shutdown'] as const) expected[attempts(type, outcome)] = byOutcome[outcome] ?? 0;
  }
  return expected;
}

describe('worker metrics endpoint (baton worker --metrics)', function () {
  this.timeout(90_000);
  const group = new ProcessGroup();
  let client: BatonClient | undefined;

  after(async () => {
    client?.close();
    await group.cleanup();
  });

  it('counts a known workload exactly, reads slots and unacknowledged results live, and counts a reconnect', async () => {
    const dataDir = join(group.tempDir(), 'data');
    const first = await startCoordinator(group, { dataDir });
    client = new BatonClient({ address: first.address });
    // debug: the worker logs 'attempt started', which says when it holds a lease.
    const worker = await startWorker(group, first.address, { concurrency: 4, args: ['--metrics', '127.0.0.1:0', '--log-level', 'debug'] });
    const port = (await worker.waitForLog((l) => l.msg === 'metrics listening', 'metrics listening')).metrics_port as number;
    const scrape = async (): Promise<Map<string, number>> => {
      const reply = await httpGet({ port, path: '/metrics' });
      expect(reply.status).to.equal(200);
      return parsePromText(reply.body);
    };

    let samples = await scrape();
    expect([samples.get('baton_worker_slots'), samples.get('baton_worker_slots_in_use'), samples.get('baton_worker_connected')]).to.deep.equal([4, 0, 1]);
    expect(seriesOf(samples, 'baton_worker_attempts_total').size).to.equal(0);
    const health = await httpGet({ port, path: '/healthz' });
    expect([health.status, JSON.parse(health.body)]).to.deep.equal([200, { status: 'ok', state: 'running', connected: true }]);

    // Three successes, one success after a retry, one permanent failure.
    const submitted = await Promise.all([
      client.submit('noop', { n: 1 }),
      client.submit('noop', { n: 2 }),
      client.submit('noop', { n: 3 }),
      client.submit('failTimes', { failures: 1 }, { maxAttempts: 3, retry: FAST_RETRY }),
      client.submit('rejectInput', { bad: true }, { maxAttempts: 3 }),
    ]);
    const done = await Promise.all(submitted.map(({ task }) => client!.wait(task.id, { timeoutMs: 30_000 })));
    expect(done.map((task) => task.state)).to.deep.equal([
      ...Array<TaskState>(4).fill(TaskState.TASK_STATE_SUCCEEDED),
      TaskState.TASK_STATE_DEAD,
    ]);

    // The coordinator sends a lease after the acks of results it stored before: once the worker
    // has started this task, it has had every earlier acknowledgement.
    const { task: hang } = await client.submit('hang', {});
    await worker.waitForLog((l) => l.msg === 'attempt started' && l.task_id === hang.id, 'the hang task started');
    samples = await scrape();
    expect(Object.fromEntries(seriesOf(samples, 'baton_worker_attempts_total'))).to.deep.equal(
      allOutcomes({ noop: { succeeded: 3 }, failTimes: { failed: 1, succeeded: 1 }, rejectInput: { non_retryable: 1 }, hang: {} }),
    );
    expect([handlerRuns('noop'), handlerRuns('failTimes'), handlerRuns('rejectInput')].map((key) => samples.get(key))).to.deep.equal([3, 2, 1]);
    expect(samples.get('baton_worker_results_awaiting_ack')).to.equal(0);
    expect(samples.get('baton_worker_slots_in_use')).to.equal(1);

    // Canceling reaches the worker before the lease of a task submitted afterwards.
    await client.cancel(hang.id);
    const { task: marker } = await client.submit('noop', { n: 4 });
    expect((await client.wait(marker.id, { timeoutMs: 30_000 })).state).to.equal(TaskState.TASK_STATE_SUCCEEDED);
    samples = await scrape();
    expect(samples.get(attempts('hang', 'canceled'))).to.equal(1);
    expect(samples.get(attempts('noop', 'succeeded'))).to.equal(4);
    expect(samples.get('baton_worker_slots_in_use')).to.equal(0);
    expect(samples.get('baton_worker_reconnects_total')).to.equal(0);

    await reconnectThroughRestart(worker, first.process, async () => {
      expect((await scrape()).get('baton_worker_connected')).to.equal(0);
      await startCoordinator(group, { dataDir, port: first.port });
    });
    samples = await scrape();
    expect([samples.get('baton_worker_reconnects_total'), samples.get('baton_worker_connected')]).to.deep.equal([1, 1]);

    worker.signal('SIGTERM');
    expect((await worker.exited).code).to.equal(0);
  });
});

/** Kills the coordinator, runs `whileDown` once the worker has noticed, and waits for the worker to be welcomed again. */
async function reconnectThroughRestart(worker: BatonProcess, coordinator: BatonProcess, whileDown: () => Promise<void>): Promise<void> {
  const disconnected = waitForNewLog(worker, (l) => l.msg === 'disconnected from the coordinator; reconnecting', 'the worker to notice');
  await coordinator.kill();
  await disconnected;
  const reconnected = waitForNewLog(worker, (l) => l.msg === 'connected to the coordinator', 'the worker to reconnect');
  await whileDown();
  await reconnected;
}
