import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { hostname } from 'node:os';
import { sleep } from '../shared/abort';
import { BatonError } from '../shared/errors';
import { backoffDelayMs } from '../shared/backoff';
import type { Logger } from '../shared/logger';
import { durationToMs } from '../shared/proto-time';
import type { Lease, ResultAck, Welcome, WorkerServiceClient } from '../shared/gen/baton/v1/worker_service';
import { CoordinatorLink } from './coordinator-link';
import { KeepAliveThread } from './keep-alive';
import { compileWorkerOptions, type CompiledWorkerOptions, type WorkerOptions } from './options';
import { ResultOutbox } from './result-outbox';
import { RunningAttempts } from './running-attempts';

/**
 * created → running → draining → stopped. `running` takes leases; `draining` finishes what
 * it holds and takes nothing new; `stopped` is final.
 */
export type WorkerState = 'created' | 'running' | 'draining' | 'stopped';

/** Refusals that no reconnect can fix while the credentials stay what they are. */
const CREDENTIAL_REFUSALS: ReadonlySet<number> = new Set([GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED]);

/** How long a closing worker waits for the coordinator to acknowledge its last results. */
const ACK_WAIT_MS = 5000;

/**
 * A Baton worker: keeps one stream to the coordinator (reconnecting with backoff), runs
 * leased tasks with bounded concurrency, heartbeats, and reports each result until the
 * coordinator acknowledges it.
 */
export class Worker {
  readonly options: CompiledWorkerOptions;
  private state: WorkerState = 'created';
  private readonly log: Logger;
  private client: WorkerServiceClient | undefined;
  private link: CoordinatorLink | undefined;
  private welcomed = false;
  /** From the first Welcome: proves to the coordinator, on every reconnect, that this is the same process. */
  private resumeSecret = '';
  /** Lease entries received on the current stream, reported in heartbeats. */
  private leasesReceived = 0;
  private readonly keepAlive = new KeepAliveThread();
  /** Results not yet acknowledged: re-sent after a reconnect. */
  private readonly outbox = new ResultOutbox(() => (this.welcomed ? this.link : undefined));
  /** Handlers running now, by lease (running-attempts.ts). */
  private readonly running: RunningAttempts;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectFailures = 0;
  private readonly stopReconnecting = new AbortController();
  private readonly changeListeners = new Set<() => void>();
  private firstWelcome: { resolve: () => void; reject: (err: unknown) => void; promise: Promise<void> } | undefined;
  private everWelcomed = false;
  private closing: Promise<void> | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: WorkerOptions) {
    this.options = compileWorkerOptions(options);
    this.log = this.options.logger.child({ component: 'worker', worker_id: this.options.workerId });
    this.running = new RunningAttempts({
      options: this.options,
      log: this.log,
      outbox: this.outbox,
      takingLeases: () => this.state === 'running',
      changed: () => this.changed(),
    });
    this.options.metrics.watch({
      slots: () => this.options.concurrency,
      slotsInUse: () => this.running.size,
      resultsAwaitingAck: () => this.outbox.pending,
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
    return this.running.size;
  }

  /** True while the coordinator has welcomed the current stream. */
  get connected(): boolean {
    return this.welcomed;
  }

  /**
   * Connects and starts taking leases; resolves once the coordinator has welcomed this worker.
   * @throws BatonError UNAUTHENTICATED or PERMISSION_DENIED when the coordinator refuses this
   *   worker's credentials before it was ever welcomed: retrying cannot help a typo (call
   *   {@link close} then). Any other failure is retried with backoff.
   */
  start(): Promise<void> {
    this.transition('created', 'running');
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.firstWelcome = { resolve, reject, promise };
    this.client = CoordinatorLink.client(this.options.coordinator, this.options.security);
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
      this.state = 'stopped';
      return;
    }
    this.state = 'draining';
    this.link?.drain();
    this.log.info({ running: this.running.size }, 'worker draining');
    const deadline = Date.now() + this.options.shutdownGraceMs;
    if (!(await this.waitFor(() => this.running.size === 0, deadline))) this.abandonRunning();
    await this.waitFor(() => this.outbox.pending === 0 || !this.welcomed, Date.now() + ACK_WAIT_MS);
    this.state = 'stopped';
    this.stopReconnecting.abort();
    this.stopHeartbeat();
    this.link?.end();
    await this.waitFor(() => this.link === undefined, Date.now() + 1000);
    this.link?.cancel();
    await this.loop;
    await this.keepAlive.stop();
    this.client?.close();
    this.log.info('worker stopped');
  }

  /**
   * The grace is over: abort the handlers still running and give their leases back at once
   * (a heartbeat without them releases them for retry), rather than let them wait out the
   * lease timeout on the coordinator.
   */
  private abandonRunning(): void {
    this.log.warn({ running: this.running.size }, 'shutdown grace over: aborting running handlers and releasing their leases');
    this.running.abandonAll();
    if (this.welcomed) this.link?.heartbeat(this.running.heldLeaseIds(), this.leasesReceived);
  }

  private async connectLoop(): Promise<void> {
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
        await sleep(delayMs, this.stopReconnecting.signal);
      } catch {
        return;
      }
    }
  }

  private runLink(): Promise<ServiceError | undefined> {
    const client = this.client;
    if (!client) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const link: CoordinatorLink = new CoordinatorLink(client, {
        welcome: (welcome) => this.onWelcome(link, welcome),
        leases: (leases) => this.onLeases(leases),
        cancel: (cancel) => this.running.cancel(cancel),
        acks: (acks) => this.onAcks(acks),
        closed: (error) => {
          if (this.link === link) {
            this.link = undefined;
            this.welcomed = false;
            this.stopHeartbeat();
            this.changed();
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
        heldLeaseIds: [...new Set([...this.running.leaseIds(), ...this.outbox.leaseIds()])],
        resumeSecret: this.resumeSecret,
        hostname: hostname().slice(0, 255), // shown in `baton stats`; the coordinator refuses longer
      });
    });
  }

  private onWelcome(link: CoordinatorLink, welcome: Welcome): void {
    this.welcomed = true;
    this.reconnectFailures = 0;
    if (welcome.resumeSecret !== '') this.resumeSecret = welcome.resumeSecret;
    if (welcome.maxResultBytes > 0) this.outbox.maxResultBytes = welcome.maxResultBytes;
    const heartbeatMs = durationToMs(welcome.heartbeatInterval) ?? 2000;
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => link.heartbeat(this.running.heldLeaseIds(), this.leasesReceived), heartbeatMs);
    this.heartbeatTimer.unref();
    this.keepAlive.session(this.options.workerId, welcome.sessionId, heartbeatMs);
    this.log.info({ session_id: welcome.sessionId, reclaimed: welcome.reclaimedLeaseIds.length, heartbeat_ms: heartbeatMs }, 'connected to the coordinator');
    if (this.state === 'draining') link.drain();
    // Results the coordinator has not acknowledged went to a previous stream: send them again.
    this.outbox.resendAll(link);
    // Hello counted unacknowledged results as held leases; they hold no slot here.
    if (this.state === 'running') link.credit(this.outbox.pending);
    if (this.everWelcomed) this.options.metrics.reconnected();
    this.everWelcomed = true;
    this.firstWelcome?.resolve();
    this.changed();
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
      this.outbox.settle(ack.leaseId);
      if (code !== GrpcStatus.OK) this.log.warn({ lease_id: ack.leaseId, code: ack.code, err_message: ack.message }, 'result rejected by the coordinator');
    }
    this.changed();
  }

  /** A method, not a comparison, so the compiler does not narrow `state` across awaits. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Waits until `done()` holds or the time is past `deadlineMs`; true if it holds. */
  private async waitFor(done: () => boolean, deadlineMs: number): Promise<boolean> {
    while (!done()) {
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, remainingMs);
        function finish(): void {
          clearTimeout(timer);
          listeners.delete(finish);
          resolve();
        }
        const listeners = this.changeListeners;
        listeners.add(finish);
      });
    }
    return true;
  }

  private changed(): void {
    for (const listener of [...this.changeListeners]) listener();
  }

  private transition(from: WorkerState, to: WorkerState): void {
    if (this.state !== from) throw new Error(`worker cannot go from ${this.state} to ${to}`);
    this.state = to;
  }
}
