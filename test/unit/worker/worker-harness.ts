import type { HandlerMap } from '../../../worker/handler';
import type { WorkerOptions } from '../../../worker/options';
import { Worker } from '../../../worker/worker';
import type { AttemptMetricOutcome, WorkerMetrics } from '../../../worker/worker-metrics';
import { FakeClock } from '../../support/fake-clock';
import { FakeLinks, settle, type FakeLink } from './fake-links';

export const HEARTBEAT_MS = 2000;
/** No jitter, so that each wait is exact on the fake clock. */
export const BACKOFF = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 };
export const SHUTDOWN_GRACE_MS = 1000;

/** A Worker on a fake clock and fake links: nothing real but the event loop. */
export class WorkerHarness {
  readonly clock = new FakeClock();
  readonly links = new FakeLinks();
  readonly worker: Worker;
  /** Outcomes of ended attempts, as the worker reported them to its metrics. */
  readonly outcomes: AttemptMetricOutcome[] = [];

  constructor(handlers: HandlerMap, options: Partial<WorkerOptions> = {}) {
    const metrics: WorkerMetrics = {
      watch: () => undefined,
      attemptStarted: () => undefined,
      attemptEnded: (_queue, _type, outcome) => this.outcomes.push(outcome),
      reconnected: () => undefined,
    };
    this.worker = new Worker(
      {
        coordinator: '127.0.0.1:1',
        handlers,
        concurrency: 2,
        keepAliveThread: false,
        reconnectBackoff: BACKOFF,
        shutdownGrace: SHUTDOWN_GRACE_MS,
        metrics,
        clock: this.clock,
        ...options,
      },
      this.links,
    );
  }

  /** The newest stream. */
  get link(): FakeLink {
    return this.links.current;
  }

  /** Starts the worker and welcomes its first stream. */
  async connect(heartbeatMs = HEARTBEAT_MS): Promise<this> {
    const started = this.worker.start();
    this.link.welcome(heartbeatMs);
    await started;
    return this;
  }

  /** Moves the fake clock by `ms`, then lets what it woke up run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await settle();
  }

  /** Closes the worker, moving the fake clock along until it has stopped. */
  async close(): Promise<void> {
    let stopped = false;
    const closing = this.worker.close().finally(() => (stopped = true));
    for (let i = 0; i < 100 && !stopped; i += 1) await this.advance(SHUTDOWN_GRACE_MS);
    await closing;
  }
}

/** Creates harnesses for one test each and closes them after it. */
export function useWorkers(): (handlers: HandlerMap, options?: Partial<WorkerOptions>) => WorkerHarness {
  const made: WorkerHarness[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((harness) => harness.close()));
  });
  return (handlers, options) => {
    const harness = new WorkerHarness(handlers, options);
    made.push(harness);
    return harness;
  };
}
