import { status as GrpcStatus } from '@grpc/grpc-js';
import { hostname } from 'node:os';
import { backoffDelayMs } from '../shared/backoff';
import type { Clock, TimerHandle } from '../shared/clock';
import { BatonError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { durationToMs } from '../shared/proto-time';
import type { Lease, ResultAck, Welcome } from '../shared/gen/baton/v1/worker_service';
import { AttemptTable } from './attempt-table';
import { ChangeSignal } from './change-signal';
import { repeatOn, sleepOn } from './clock-timers';
import { grpcLinks } from './coordinator-link';
import { KeepAliveThread } from './keep-alive';
import { compileWorkerOptions, type CompiledWorkerOptions, type WorkerOptions } from './options';
import { holdProcessOpen } from './process-hold';
import { ProgressCoalescer, maxReportsPerMessage } from './progress-reports';
import { ResultOutbox } from './result-outbox';
import { RunningAttempts } from './running-attempts';
import type { LinkError, LinkFactory, WorkerLink } from './worker-link';

/**
 * created → running → draining → stopped. `running` takes leases; `draining` finishes what
 * it holds and takes nothing new; `stopped` is final. A worker closed before it started goes
 * from created to stopped.
 */
export type WorkerState = 'created' | 'running' | 'draining' | 'stopped';

/** Each state and the states it may be entered from: the only legal moves. */
const WORKER_STATE_PREDECESSORS: { readonly [To in WorkerState]: readonly WorkerState[] } = {
  created: [],
  running: ['created'],
  draining: ['running'],
  stopped: ['created', 'draining'],
};

/** Refusals that no reconnect can fix while the credentials stay what they are. */
const CREDENTIAL_REFUSALS: ReadonlySet<number> = new Set([GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED]);

/** How long a closing worker waits for the coordinator to acknowledge its last results. */
const ACK_WAIT_MS = 5000;
/** How long a closing worker waits for the coordinator to end the stream after our half-close, before dropping it. */
const STREAM_END_WAIT_MS = 1000;
/** The heartbeat interval when a Welcome names none. */
const DEFAULT_HEARTBEAT_MS = 2000;

/**
 * A Baton worker: keeps one stream to the coordinator (reconnecting with backoff), runs
 * leased tasks with bounded concurrency, heartbeats, and reports each result until the
 * coordinator acknowledges it. Each attempt's state lives in the attempt table
 * (attempt-table.ts); the hot path is onLeases → RunningAttempts → ResultOutbox → onAcks.
 */
export class Worker {
  readonly options: CompiledWorkerOptions;
  private state: WorkerState = 'created';
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly links: LinkFactory;
  private link: WorkerLink | undefined;
  private welcomed = false;
  /** From the first Welcome: proves to the coordinator, on every reconnect, that this is the same process. */
  private resumeSecret = '';
  /** Lease entries received on the current stream, reported in heartbeats. */
  private leasesReceived = 0;
  private readonly keepAlive = new KeepAliveThread();
  /** Every attempt this worker answers for, from its lease to the coordinator's acknowledgement. */
  private readonly attempts = new AttemptTable();
  /** Results and freed slots on their way out. */
  private readonly outbox = new ResultOutbox(() => (this.welcomed ? this.link : undefined));
  /** Handlers' progress, coalesced: each lease's latest report, once per progress interval. */
  private readonly progress: ProgressCoalescer;
  /** The handlers (running-attempts.ts). */
  private readonly running: RunningAttempts;
  private heartbeat: TimerHandle | undefined;
  private reconnectFailures = 0;
  private readonly stopReconnecting = new AbortController();
  /** Wakes close() as handlers finish, results are acknowledged and the stream ends. */
  private readonly changes: ChangeSignal;
  private firstWelcome: { resolve: () => void; reject: (err: unknown) => void; promise: Promise<void> } | undefined;
  private everWelcomed = false;
  private closing: Promise<void> | undefined;
  private loop: Promise<void> | undefined;

  /**
   * @param options checked here (compileWorkerOptions); nothing connects before {@link start}.
   * @param links how to open streams to the coordinator; default gRPC to `options.coordinator`.
   *   Unit tests pass a fake.
   * @throws ConfigError naming a bad option.
   */
  constructor(options: WorkerOptions, links?: LinkFactory) {
    this.options = compileWorkerOptions(options);
    this.clock = this.options.clock;
    this.changes = new ChangeSignal(this.clock);
    this.links = links ?? grpcLinks(this.options.coordinator, this.options.security);
    this.log = this.options.logger.child({ component: 'worker', worker_id: this.options.workerId });
    this.progress = new ProgressCoalescer({
      clock: this.clock,
      intervalMs: this.options.progressIntervalMs,
      maxPerMessage: maxReportsPerMessage(this.options.concurrency),
      connected: () => (this.welcomed ? this.link : undefined),
    });
    this.running = new RunningAttempts({
      options: this.options,
      log: this.log,
      table: this.attempts,
      outbox: this.outbox,
      progress: this.progress,
      takingLeases: () => this.state === 'running',
      changed: () => this.changes.notify(),
    });
    this.options.metrics.watch({
      slots: () => this.options.concurrency,
      slotsInUse: () => this.attempts.handlersRunning,
      resultsAwaitingAck: () => this.attempts.awaitingAck,
      connected: () => this.welcomed,
    });
  }

  get workerId(): string {
    return this.options.workerId;
  }

  get currentState(): WorkerState {
    return this.state;
  }

  /** Handlers running now. */
  get activeCount(): number {
    return this.attempts.handlersRunning;
  }

  /** True while the coordinator has welcomed the current stream. */
  get connected(): boolean {
    return this.welcomed;
  }

  /**
   * Connects and starts taking leases; resolves once the coordinator has welcomed this worker.
   * Until it stops (or is refused), a started worker keeps the process alive.
   * @throws BatonError UNAUTHENTICATED or PERMISSION_DENIED when the coordinator refuses this
   *   worker's credentials before it was ever welcomed: retrying cannot help a typo (call
   *   {@link close} then). Any other failure is retried with backoff.
   * @throws Error when called twice, or after close().
   */
  start(): Promise<void> {
    this.transition('running');
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.firstWelcome = { resolve, reject, promise };
    if (this.options.keepAliveThread) {
      this.keepAlive.start(this.options.coordinator, this.options.security, (err) =>
        this.log.error({ err }, 'keep-alive thread failed; a handler that blocks the event loop may now cost its lease'),
      );
    }
    this.loop = this.connectLoop();
    return promise;
  }

  /**
   * Drains: takes no new leases, lets running handlers finish within the shutdown grace
   * (then aborts their signals), waits for results to be acknowledged, and disconnects.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.drainAndStop();
    return this.closing;
  }

  private async drainAndStop(): Promise<void> {
    if (this.state === 'created') {
      this.transition('stopped');
      this.progress.stop();
      return;
    }
    try {
      this.transition('draining');
      this.link?.drain();
      this.log.info({ running: this.attempts.handlersRunning }, 'worker draining');
      const graceOverMs = this.clock.now() + this.options.shutdownGraceMs;
      if (!(await this.changes.waitFor(() => this.attempts.handlersRunning === 0, graceOverMs))) this.abandonRunning();
      await this.changes.waitFor(() => this.attempts.awaitingAck === 0 || !this.welcomed, this.clock.now() + ACK_WAIT_MS);
      this.transition('stopped');
      this.progress.stop();
      this.stopReconnecting.abort();
      this.stopHeartbeat();
      this.link?.end();
      await this.changes.waitFor(() => this.link === undefined, this.clock.now() + STREAM_END_WAIT_MS);
      this.link?.cancel();
      await this.loop;
    } finally {
      this.progress.stop(); // again, in case a step above failed
      try {
        await this.keepAlive.stop();
      } finally {
        this.links.close();
      }
    }
    this.log.info('worker stopped');
  }

  /**
   * The grace is over: abort the handlers still running and give their leases back at once
   * (a heartbeat without them releases them for retry), rather than let them wait out the
   * lease timeout on the coordinator.
   */
  private abandonRunning(): void {
    this.log.warn({ running: this.attempts.handlersRunning }, 'shutdown grace over: aborting running handlers and releasing their leases');
    this.running.abandonAll();
    if (this.welcomed) this.link?.heartbeat(this.attempts.heldLeaseIds(), this.leasesReceived);
  }

  /** Runs streams one after another until the worker stops or its credentials are refused. */
  private async connectLoop(): Promise<void> {
    const releaseProcess = holdProcessOpen();
    try {
      while (this.state === 'running' || this.state === 'draining') {
        const error = await this.runLink();
        if (this.isStopped()) return;
        if (!this.everWelcomed && error && CREDENTIAL_REFUSALS.has(error.code)) {
          const code = error.code === GrpcStatus.UNAUTHENTICATED ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED';
          this.firstWelcome?.reject(new BatonError(code, `the coordinator refused this worker's credentials: ${error.details}`));
          return;
        }
        this.reconnectFailures += 1;
        const delayMs = backoffDelayMs(this.options.reconnectBackoff, this.reconnectFailures);
        this.log.warn({ err_message: error?.details ?? 'stream ended', retry_in_ms: delayMs }, 'disconnected from the coordinator; reconnecting');
        try {
          await sleepOn(this.clock, delayMs, this.stopReconnecting.signal);
        } catch {
          return;
        }
      }
    } finally {
      releaseProcess();
    }
  }

  /** Opens a stream, says Hello, and resolves when the stream is over, with why. */
  private runLink(): Promise<LinkError | undefined> {
    return new Promise((resolve) => {
      const link: WorkerLink = this.links.open({
        welcome: (welcome) => this.onWelcome(link, welcome),
        leases: (leases) => this.onLeases(leases),
        cancel: (cancel) => this.running.cancel(cancel),
        acks: (acks) => this.onAcks(acks),
        closed: (error) => {
          if (this.link === link) {
            this.link = undefined;
            this.welcomed = false;
            this.stopHeartbeat();
            this.changes.notify();
          }
          resolve(error);
        },
      });
      this.link = link;
      this.leasesReceived = 0;
      link.hello({
        workerId: this.options.workerId,
        queues: [...this.options.queues],
        taskTypes: Object.keys(this.options.handlers),
        concurrency: this.options.concurrency,
        // Handlers still running after a cancel are listed too: they hold slots, and the
        // coordinator's initial credit is concurrency minus this list (it cancels them again).
        // So are results not yet acknowledged.
        heldLeaseIds: this.attempts.leaseIds(),
        resumeSecret: this.resumeSecret,
        hostname: hostname().slice(0, 255), // shown in `baton stats`; the coordinator refuses longer
      });
    });
  }

  private onWelcome(link: WorkerLink, welcome: Welcome): void {
    this.welcomed = true;
    this.reconnectFailures = 0;
    if (welcome.resumeSecret !== '') this.resumeSecret = welcome.resumeSecret;
    if (welcome.maxResultBytes > 0) this.outbox.maxResultBytes = welcome.maxResultBytes;
    const heartbeatMs = durationToMs(welcome.heartbeatInterval) ?? DEFAULT_HEARTBEAT_MS;
    this.stopHeartbeat();
    this.heartbeat = repeatOn(this.clock, heartbeatMs, () => link.heartbeat(this.attempts.heldLeaseIds(), this.leasesReceived));
    this.keepAlive.session(this.options.workerId, welcome.sessionId, heartbeatMs);
    this.log.info({ session_id: welcome.sessionId, reclaimed: welcome.reclaimedLeaseIds.length, heartbeat_ms: heartbeatMs }, 'connected to the coordinator');
    if (this.state === 'draining') link.drain();
    // Results the coordinator has not acknowledged went to a previous stream: send them again.
    this.outbox.resend(link, this.attempts.unackedResults());
    // Hello counted unacknowledged results as held leases; they hold no slot here.
    if (this.state === 'running') link.credit(this.attempts.awaitingAck);
    if (this.everWelcomed) this.options.metrics.reconnected();
    this.everWelcomed = true;
    this.firstWelcome?.resolve();
    this.changes.notify();
  }

  private onLeases(leases: Lease[]): void {
    this.leasesReceived += leases.length;
    this.running.start(leases);
  }

  private onAcks(acks: ResultAck[]): void {
    for (const ack of acks) {
      const code = ack.code as GrpcStatus;
      // UNAVAILABLE: the coordinator could not store it; keep it and send it again after reconnecting.
      if (code === GrpcStatus.UNAVAILABLE) {
        this.log.warn({ lease_id: ack.leaseId, err_message: ack.message }, 'result not stored yet; will resend');
        continue;
      }
      this.attempts.settle(ack.leaseId);
      if (code !== GrpcStatus.OK) this.log.warn({ lease_id: ack.leaseId, code: ack.code, err_message: ack.message }, 'result rejected by the coordinator');
    }
    this.changes.notify();
  }

  /** A method, not a comparison, so the compiler does not narrow `state` across awaits. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private stopHeartbeat(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
  }

  /** The one place `state` changes; it checks the legal predecessor. */
  private transition(to: WorkerState): void {
    if (!WORKER_STATE_PREDECESSORS[to].includes(this.state)) throw new Error(`worker cannot go from ${this.state} to ${to}`);
    this.state = to;
  }
}
