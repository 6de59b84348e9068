import { expect } from 'chai';
import { ConfigError } from '../../../shared/errors';
import { NonRetryableError } from '../../../worker/non-retryable-error';
import { Worker } from '../../../worker/worker';
import { PrometheusWorkerMetrics, UNKNOWN_TASK_TYPE, attemptMetricOutcome, type WorkerGaugeSource } from '../../../worker/worker-metrics';
import { parsePromText, series, seriesOf } from '../../support/prom-text';
import { ScriptedCoordinator } from '../../support/scripted-coordinator';

const source = (counts: Partial<{ slots: number; slotsInUse: number; resultsAwaitingAck: number; connected: boolean }>): WorkerGaugeSource => ({
  slots: () => counts.slots ?? 0,
  slotsInUse: () => counts.slotsInUse ?? 0,
  resultsAwaitingAck: () => counts.resultsAwaitingAck ?? 0,
  connected: () => counts.connected ?? false,
});

const attempts = (queue: string, type: string, outcome: string): string => series('baton_worker_attempts_total', { queue, type, outcome });
const handlerRuns = (queue: string, type: string): string => series('baton_worker_handler_duration_seconds_count', { queue, type });

describe('PrometheusWorkerMetrics', () => {
  it('counts attempts by queue, type and outcome, with every outcome present from the first start', async () => {
    const metrics = new PrometheusWorkerMetrics();
    metrics.attemptStarted('mail', 'send');
    metrics.attemptEnded('mail', 'send', 'succeeded', 250);
    metrics.attemptStarted('mail', 'send');
    metrics.attemptEnded('mail', 'send', 'succeeded', 1500);
    metrics.attemptStarted('mail', 'send');
    metrics.attemptEnded('mail', 'send', 'canceled', 10);
    metrics.attemptStarted('images', 'resize');
    const samples = parsePromText(await metrics.scrape());
    expect(Object.fromEntries(seriesOf(samples, 'baton_worker_attempts_total'))).to.deep.equal({
      [attempts('mail', 'send', 'succeeded')]: 2,
      [attempts('mail', 'send', 'failed')]: 0,
      [attempts('mail', 'send', 'non_retryable')]: 0,
      [attempts('mail', 'send', 'timed_out')]: 0,
      [attempts('mail', 'send', 'canceled')]: 1,
      [attempts('mail', 'send', 'shutdown')]: 0,
      [attempts('images', 'resize', 'succeeded')]: 0,
      [attempts('images', 'resize', 'failed')]: 0,
      [attempts('images', 'resize', 'non_retryable')]: 0,
      [attempts('images', 'resize', 'timed_out')]: 0,
      [attempts('images', 'resize', 'canceled')]: 0,
      [attempts('images', 'resize', 'shutdown')]: 0,
    });
    expect(samples.get(handlerRuns('mail', 'send'))).to.equal(3);
    expect(samples.get(series('baton_worker_handler_duration_seconds_sum', { queue: 'mail', type: 'send' }))).to.be.closeTo(1.76, 1e-9);
    expect(samples.get(series('baton_worker_handler_duration_seconds_bucket', { queue: 'mail', type: 'send', le: '0.5' }))).to.equal(2);
    expect(samples.has(handlerRuns('images', 'resize')), 'no duration until an attempt ends').to.equal(false);
  });

  it('reads its gauges from the Worker at scrape time, and counts reconnects', async () => {
    const metrics = new PrometheusWorkerMetrics();
    const gauges = async (): Promise<Record<string, number | undefined>> => {
      const samples = parsePromText(await metrics.scrape());
      return Object.fromEntries(['slots', 'slots_in_use', 'results_awaiting_ack', 'connected', 'reconnects_total'].map((name) => [name, samples.get(`baton_worker_${name}`)]));
    };
    expect(await gauges()).to.deep.equal({ slots: 0, slots_in_use: 0, results_awaiting_ack: 0, connected: 0, reconnects_total: 0 });
    const counts = { slots: 8, slotsInUse: 3, resultsAwaitingAck: 2, connected: true };
    metrics.watch(source(counts));
    metrics.reconnected();
    metrics.reconnected();
    expect(await gauges()).to.deep.equal({ slots: 8, slots_in_use: 3, results_awaiting_ack: 2, connected: 1, reconnects_total: 2 });
    counts.connected = false;
    counts.slotsInUse = 0;
    expect(await gauges()).to.include({ slots_in_use: 0, connected: 0 });
  });

  it('serves one Worker: a second watch is refused, naming the option', () => {
    const metrics = new PrometheusWorkerMetrics();
    metrics.watch(source({}));
    expect(() => metrics.watch(source({}))).to.throw(ConfigError, /^metrics: /);
    expect(() => new Worker({ coordinator: '127.0.0.1:1', handlers: { noop: () => undefined }, metrics })).to.throw(ConfigError, /^metrics: /);
  });
});

describe('attemptMetricOutcome', () => {
  const success = (bytes: number) => ({ kind: 'success' as const, result: Buffer.alloc(bytes), contentType: 'application/json' });
  const failure = (nonRetryable: boolean) => ({ kind: 'failure' as const, message: 'no', nonRetryable, errorType: 'Error' });

  it('names how the attempt was reported: a revoked lease is canceled whatever the handler did', () => {
    expect(attemptMetricOutcome(success(10), undefined, 10)).to.equal('succeeded');
    expect(attemptMetricOutcome(success(11), undefined, 10), 'sent as a non-retryable failure').to.equal('non_retryable');
    expect(attemptMetricOutcome(failure(false), undefined, 10)).to.equal('failed');
    expect(attemptMetricOutcome(failure(true), undefined, 10)).to.equal('non_retryable');
    expect(attemptMetricOutcome(success(1), 'canceled', 10)).to.equal('canceled');
    expect(attemptMetricOutcome(failure(false), 'timeout', 10), 'as the span says').to.equal('timed_out');
    expect(attemptMetricOutcome(failure(false), 'shutdown', 10)).to.equal('shutdown');
    expect(attemptMetricOutcome(failure(true), 'canceled', 10)).to.equal('canceled');
  });
});

describe('Worker: metrics', () => {
  const HEARTBEAT_MS = 20;
  let coordinator: ScriptedCoordinator | undefined;
  let worker: Worker | undefined;

  afterEach(async () => {
    await worker?.close();
    coordinator?.close();
    worker = undefined;
    coordinator = undefined;
  });

  it('reports each attempt\'s outcome, unknown types under one label, slots, unacknowledged results and reconnects', async () => {
    coordinator = await ScriptedCoordinator.start();
    const metrics = new PrometheusWorkerMetrics();
    worker = new Worker({
      coordinator: coordinator.address,
      handlers: {
        ok: () => ({ ok: true }),
        fail: () => {
          throw new Error('retry me');
        },
        reject: () => {
          throw new NonRetryableError('never');
        },
        big: () => 'x'.repeat(100),
        hang: (_payload, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      },
      concurrency: 8,
      keepAliveThread: false,
      shutdownGrace: 1000,
      reconnectBackoff: { initialMs: 1, multiplier: 1, maxMs: 1, jitter: 0 },
      metrics,
    });
    const scrape = async (): Promise<Map<string, number>> => parsePromText(await metrics.scrape());
    expect((await scrape()).get('baton_worker_connected')).to.equal(0);

    const started = worker.start();
    const first = await coordinator.stream(0);
    await first.next('hello');
    first.welcome({ heartbeatMs: HEARTBEAT_MS, maxResultBytes: 50 });
    await started;
    first.leases([
      { leaseId: 'l-ok', type: 'ok' },
      { leaseId: 'l-fail', type: 'fail' },
      { leaseId: 'l-reject', type: 'reject' },
      { leaseId: 'l-big', type: 'big' },
      { leaseId: 'l-mystery', type: 'mystery' },
      { leaseId: 'l-hang', type: 'hang', queue: 'slow' },
    ]);
    const reported = new Set<string>();
    await first.next('results', (value) => {
      for (const result of value.results) reported.add(result.leaseId);
      return reported.size === 5;
    });
    let samples = await scrape();
    expect(samples.get('baton_worker_results_awaiting_ack')).to.equal(5);
    expect(samples.get('baton_worker_slots_in_use')).to.equal(1);
    expect(samples.get('baton_worker_slots')).to.equal(8);
    expect(samples.get('baton_worker_connected')).to.equal(1);

    const acked = first.received.length;
    first.ack([...reported]);
    await first.next('heartbeat', (value) => value.leaseIds.join() === 'l-hang', acked);
    expect((await scrape()).get('baton_worker_results_awaiting_ack')).to.equal(0);

    const canceled = first.received.length;
    first.cancel(['l-hang']);
    await first.next('credit', () => true, canceled); // the slot comes back once the handler has returned
    samples = await scrape();
    expect(samples.get('baton_worker_slots_in_use')).to.equal(0);
    expect(Object.fromEntries([...seriesOf(samples, 'baton_worker_attempts_total')].filter(([, count]) => count > 0))).to.deep.equal({
      [attempts('default', 'ok', 'succeeded')]: 1,
      [attempts('default', 'fail', 'failed')]: 1,
      [attempts('default', 'reject', 'non_retryable')]: 1,
      [attempts('default', 'big', 'non_retryable')]: 1,
      [attempts('default', UNKNOWN_TASK_TYPE, 'failed')]: 1,
      [attempts('slow', 'hang', 'canceled')]: 1,
    });
    expect(samples.get(handlerRuns('default', UNKNOWN_TASK_TYPE))).to.equal(1);
    expect([...samples.keys()].filter((key) => key.includes('mystery'))).to.deep.equal([]);
    expect(samples.get('baton_worker_reconnects_total')).to.equal(0);

    first.end();
    const second = await coordinator.stream(1);
    await second.next('hello');
    second.welcome({ heartbeatMs: HEARTBEAT_MS });
    await second.next('heartbeat'); // sent once the Welcome has been handled
    samples = await scrape();
    expect(samples.get('baton_worker_reconnects_total')).to.equal(1);
    expect(samples.get('baton_worker_connected')).to.equal(1);

    await worker.close();
    expect((await scrape()).get('baton_worker_connected')).to.equal(0);
  });
});
