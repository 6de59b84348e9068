/**
 * Well-behaved traffic that runs while the protocol fuzz misbehaves: a submitter that keeps
 * adding (and sometimes canceling or retrying) tasks on the fuzz workers' queues, and one
 * honest worker that runs its leases by the book. Their answers are checked too: the
 * fuzzing around them must not hurt them.
 */
import { status } from '@grpc/grpc-js';
import { CancelTaskRequest, RetryTaskRequest, SubmitTasksRequest, SubmitTasksResponse, type SubmitTaskRequest } from '../../shared/gen/baton/v1/task_queue';
import { ConnectRequest, ConnectResponse } from '../../shared/gen/baton/v1/worker_service';
import { accept, type FuzzContext } from './fuzz-context';
import { detailClass, type Finding } from './fuzz-report';
import { WORKER_QUEUES } from './message-arbitraries';
import { statusName } from '../support/raw-grpc-client';
import type { RawStream } from '../support/raw-stream';
import { CALL_DEADLINE_MS } from './message-fuzz';

const SUBMIT_EVERY_MS = 25;
const HEARTBEAT_EVERY_MS = 200;
const HONEST_WORKER_ID = 'fz-honest';

/** A small seeded generator: the legit traffic's choices replay with the seed, its timing cannot. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class LegitTraffic {
  readonly findings: Finding[] = [];
  private readonly random: () => number;
  private readonly recent: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private worker: RawStream | undefined;
  private serving: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly held = new Set<string>();
  private leasesReceived = 0;
  private absorbed = 0;
  private stopping = false;

  constructor(private readonly ctx: FuzzContext) {
    this.random = mulberry32(ctx.config.seed ^ 0x5eed);
  }

  start(): void {
    this.timer = setInterval(() => this.track(this.tick()), SUBMIT_EVERY_MS);
    this.startWorker();
  }

  /** Stops submitting, drains and closes the honest worker; resolves once nothing is in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    await Promise.all(this.inFlight);
    await this.serving;
    const worker = this.worker;
    if (!worker) return;
    worker.write(encode({ message: { $case: 'drain', value: {} } }));
    worker.halfClose();
    if (!(await worker.waitForEnd(CALL_DEADLINE_MS))) {
      this.finding('honest worker: no status after half-close', `the honest worker's stream did not end ${CALL_DEADLINE_MS}ms after half-close`);
      worker.cancel();
    }
    const outcome = await worker.ended;
    if (!outcome.cancelledByUs && outcome.code !== status.OK) {
      this.finding(`honest worker ended ${statusName(outcome.code)} "${detailClass(outcome.details)}"`, `the well-behaved worker's stream was ended ${statusName(outcome.code)} "${outcome.details}" while fuzzing went on around it`);
    }
  }

  /** Keeps a piece of work until it settles; a throw (a malformed answer) becomes a finding, never an unhandled rejection. */
  private track(work: Promise<void>): void {
    const settled = work.catch((err: unknown) => this.finding('legit traffic: malformed answer', `a legit call got an answer it could not read: ${String(err)}`));
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private async tick(): Promise<void> {
    const n = 1 + Math.floor(this.random() * 8);
    const requests: SubmitTaskRequest[] = Array.from({ length: n }, () => this.task());
    const outcome = await this.ctx.raw.unary('SubmitTasks', Buffer.from(SubmitTasksRequest.encode({ tasks: requests }).finish()), CALL_DEADLINE_MS);
    this.ctx.report.sent();
    this.ctx.report.answer('legit SubmitTasks', outcome.code);
    if (outcome.code !== status.OK) {
      this.finding(`legit SubmitTasks ${statusName(outcome.code)} "${detailClass(outcome.details)}"`, `a valid SubmitTasks of ${n} tasks was answered ${statusName(outcome.code)} "${outcome.details}"`);
      return;
    }
    for (const response of SubmitTasksResponse.decode(outcome.responses[0]!).responses) {
      accept(this.ctx, response.task?.id);
      if (response.task) this.recent.push(response.task.id);
    }
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
    const pick = this.recent[Math.floor(this.random() * this.recent.length)];
    const roll = this.random();
    if (pick && roll < 0.15) await this.idCall('CancelTask', pick);
    else if (pick && roll < 0.25) await this.idCall('RetryTask', pick);
  }

  private task(): SubmitTaskRequest {
    const r = this.random();
    return {
      queue: WORKER_QUEUES[Math.floor(this.random() * WORKER_QUEUES.length)]!,
      type: 'legit',
      payload: Buffer.from(JSON.stringify({ n: Math.floor(r * 1000) })),
      contentType: '',
      priority: Math.floor(this.random() * 5),
      maxAttempts: 1 + Math.floor(this.random() * 4),
      // Some time out and some wait, so expiry and scheduling run under the fuzz too.
      ...(r < 0.2 ? { timeout: { seconds: 0, nanos: 300_000_000 } } : {}),
      ...(r > 0.9 ? { delay: { seconds: 0, nanos: 50_000_000 } } : {}),
      idempotencyKey: r > 0.97 ? `legit-${Math.floor(this.random() * 20)}` : '',
      labels: { source: 'legit' },
      traceContext: {},
      fairnessKey: '',
    };
  }

  private async idCall(rpc: 'CancelTask' | 'RetryTask', id: string): Promise<void> {
    const request = Buffer.from((rpc === 'CancelTask' ? CancelTaskRequest : RetryTaskRequest).encode({ id }).finish());
    const outcome = await this.ctx.raw.unary(rpc, request, CALL_DEADLINE_MS);
    this.ctx.report.sent();
    this.ctx.report.answer(`legit ${rpc}`, outcome.code);
    if (![status.OK, status.FAILED_PRECONDITION].includes(outcome.code)) {
      this.finding(`legit ${rpc} ${statusName(outcome.code)} "${detailClass(outcome.details)}"`, `${rpc} of task ${id} was answered ${statusName(outcome.code)} "${outcome.details}"`);
    }
  }

  private startWorker(): void {
    const worker = this.ctx.raw.bidi('Connect');
    this.worker = worker;
    // One queue only: the fuzzed streams need leases too.
    worker.write(encode({ message: { $case: 'hello', value: { workerId: HONEST_WORKER_ID, queues: [WORKER_QUEUES[0]], taskTypes: [], concurrency: 2, heldLeaseIds: [], resumeSecret: '' } } }));
    this.heartbeat = setInterval(() => {
      this.absorbSafely(worker);
      worker.write(encode({ message: { $case: 'heartbeat', value: { leaseIds: [...this.held], leasesReceived: this.leasesReceived } } }));
    }, HEARTBEAT_EVERY_MS);
    this.serving = this.serve(worker);
  }

  /** Runs each lease at once: a success, then one credit back. */
  private async serve(worker: RawStream): Promise<void> {
    while (!worker.isFinished && !this.stopping) {
      await worker.waitFor(() => worker.responses.length > this.absorbed, HEARTBEAT_EVERY_MS);
      this.absorbSafely(worker);
    }
  }

  private absorbSafely(worker: RawStream): void {
    try {
      this.absorb(worker);
    } catch (err: unknown) {
      this.absorbed = worker.responses.length; // skip what cannot be read
      this.finding('honest worker: malformed answer', `the coordinator sent the honest worker a message it could not decode: ${String(err)}`);
    }
  }

  private absorb(worker: RawStream): void {
    for (; this.absorbed < worker.responses.length; this.absorbed += 1) {
      const message = ConnectResponse.decode(worker.responses[this.absorbed]!).message;
      if (message?.$case === 'leases') {
        for (const lease of message.value.leases) {
          this.leasesReceived += 1;
          this.held.add(lease.leaseId);
          this.ctx.ids.addLease(lease.leaseId);
        }
        if (this.stopping) continue;
        const results = message.value.leases.map((lease) => ({ leaseId: lease.leaseId, outcome: { $case: 'success' as const, value: { result: Buffer.from('{"ok":true}'), contentType: '' } } }));
        worker.write(encode({ message: { $case: 'results', value: { results } } }));
        worker.write(encode({ message: { $case: 'credit', value: { slots: results.length } } }));
      } else if (message?.$case === 'cancel') {
        for (const leaseId of message.value.leaseIds) this.held.delete(leaseId);
      } else if (message?.$case === 'resultAcks') {
        for (const ack of message.value.acks) {
          this.held.delete(ack.leaseId);
          if (ack.code !== Number(status.OK) && ack.code !== Number(status.FAILED_PRECONDITION)) {
            this.finding(`honest worker ack ${statusName(ack.code)}`, `the honest worker's result for lease ${ack.leaseId} was acked ${statusName(ack.code)} "${ack.message}"`);
          }
        }
      }
    }
  }

  private finding(signature: string, summary: string): void {
    this.findings.push({ signature, summary, input: 'legit traffic (no fuzzed input)' });
  }
}

function encode(message: ConnectRequest): Buffer {
  return Buffer.from(ConnectRequest.encode(message).finish());
}
