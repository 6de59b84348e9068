/**
 * Plays one protocol scenario against the coordinator: opens its streams, sends each step
 * with its choices resolved against what the streams received so far, then half-closes
 * what is left open and checks every stream's end (protocol-stream.ts) and the
 * scenario-wide fencing rules (reclaims and takeovers need the resume secret).
 */
import { status } from '@grpc/grpc-js';
import { KeepAliveRequest, KeepAliveResponse } from '../../shared/gen/baton/v1/worker_service';
import type { FuzzContext } from './fuzz-context';
import { detailClass, type Finding } from './fuzz-report';
import { isMadeUpLeaseId, madeUpLeaseId } from './known-ids';
import { statusSignature } from './request-description';
import { buildMessage, type Built, type BuildEnv } from './protocol-messages';
import type { LeaseChoice, Scenario, SecretChoice, StreamAction, WorkerIdChoice } from './protocol-scenarios';
import { ProtocolStream } from './protocol-stream';
import { statusName } from '../support/raw-grpc-client';

/** After half-close, a stream silent this long without a status is hung. */
const END_WAIT_MS = 3000;
/** The worker id every scenario may use: sessions of different scenarios collide on it. */
const SHARED_WORKER_ID = 'fz-shared';
/** Made-up lease indexes: padding of heartbeats, and the stand-in for "a lease this stream has not received yet". */
const PADDING_BASE = 100_000;
const NO_LEASE_YET_BASE = 900_000;

let scenarioCounter = 0;

/**
 * Which resume secrets were presented in a Hello for each worker id, across all scenarios:
 * a stream superseded by a Hello that never presented its secret is a takeover the
 * protocol forbids.
 */
export class SecretLedger {
  private readonly presented = new Map<string, Set<string>>();

  record(workerId: string, secret: string): void {
    let secrets = this.presented.get(workerId);
    if (!secrets) this.presented.set(workerId, (secrets = new Set()));
    secrets.add(secret);
  }

  wasPresented(workerId: string, secret: string): boolean {
    return secret !== '' && (this.presented.get(workerId)?.has(secret) ?? false);
  }
}

export async function runScenario(ctx: FuzzContext, scenario: Scenario, secrets: SecretLedger): Promise<Finding[]> {
  const number = (scenarioCounter += 1);
  const streams = Array.from({ length: scenario.streams }, (_, i) => new ProtocolStream(i, `fz-s${number} stream ${i}`, ctx.report));
  const run = new ScenarioRun(ctx, number, streams, secrets);
  try {
    for (const [stepIndex, step] of scenario.steps.entries()) await run.step(streams[step.stream]!, step.action, stepIndex);
  } finally {
    await run.finish();
  }
  const input = run.transcript.join('; ');
  return [...streams.flatMap((s) => s.findings), ...run.extra].map((finding) => ({ ...finding, input: input.length > 1500 ? `${input.slice(0, 1500)}…` : input }));
}

class ScenarioRun implements BuildEnv {
  readonly transcript: string[] = [];
  readonly extra: Finding[] = [];
  /** Checks that wait for a Welcome; they settle once every stream has ended. */
  private readonly pendingChecks: Array<Promise<void>> = [];
  private readonly prefix: string;

  constructor(
    private readonly ctx: FuzzContext,
    private readonly number: number,
    readonly streams: readonly ProtocolStream[],
    private readonly secrets: SecretLedger,
  ) {
    this.prefix = `fz-s${number}`;
  }

  async step(stream: ProtocolStream, action: StreamAction, stepIndex: number): Promise<void> {
    for (const s of this.streams) s.absorb();
    switch (action.kind) {
      case 'pause':
        if (action.ms > 0) await delay(action.ms);
        return;
      case 'keep-alive':
        await this.keepAlive(stream, action.session, action.worker);
        return;
      case 'cancel':
        if (stream.raw && !stream.raw.isFinished) {
          stream.cancelledByUs = true;
          stream.raw.cancel();
          this.log(stream, 'cancel');
        }
        return;
      case 'half-close':
        if (stream.raw && !stream.raw.isClosedForWriting) {
          stream.halfClosed = true;
          stream.raw.halfClose();
          this.log(stream, 'half-close');
        }
        return;
      default:
        stream.raw ??= this.ctx.raw.bidi('Connect');
        this.send(stream, buildMessage(stream, action, this), stepIndex);
    }
  }

  /** Half-closes every open stream and waits for each end; a half-closed stream that goes silent without a status is hung. */
  async finish(): Promise<void> {
    for (const stream of this.streams) {
      if (stream.raw && !stream.raw.isClosedForWriting) {
        stream.halfClosed = true;
        stream.raw.halfClose();
      }
    }
    await Promise.all(
      this.streams.map(async (stream) => {
        const raw = stream.raw;
        if (!raw) return;
        if (!(await raw.waitForEnd(END_WAIT_MS))) {
          stream.finding('no status after half-close', `the half-closed stream went silent without a status (waited ${END_WAIT_MS}ms plus 5ms per KiB sent; ${raw.responses.length} messages received)`);
          stream.cancelledByUs = true;
          raw.cancel();
        }
        const outcome = await raw.ended;
        this.log(stream, `ended ${statusName(outcome.code)} "${outcome.details.slice(0, 80)}"${outcome.cancelledByUs ? ' (cancelled by us)' : ''}`);
        this.ctx.report.answer('protocol Connect streams', outcome.cancelledByUs ? 'CANCELLED by fuzzer' : outcome.code);
        stream.checkEnd(outcome);
        this.checkSupersede(stream, outcome.code, outcome.details);
        for (const lease of stream.leases) this.ctx.ids.addLease(lease.leaseId);
      }),
    );
    await Promise.all(this.pendingChecks);
  }

  // BuildEnv: how the steps' choices resolve in this scenario.

  workerId(stream: ProtocolStream, choice: WorkerIdChoice): string {
    switch (choice.of) {
      case 'own':
        return `${this.prefix}-w${stream.index}`;
      case 'stream':
        return `${this.prefix}-w${choice.stream % this.streams.length}`;
      case 'shared':
        return SHARED_WORKER_ID;
      case 'literal':
        return choice.value;
    }
  }

  lease(stream: ProtocolStream, choice: LeaseChoice): string {
    switch (choice.of) {
      case 'own':
        return stream.leases[choice.index % Math.max(1, stream.leases.length)]?.leaseId ?? madeUpLeaseId(this.number, NO_LEASE_YET_BASE + stream.index);
      case 'stream': {
        const owner = choice.stream % this.streams.length;
        const leases = this.streams[owner]!.leases;
        return leases[choice.index % Math.max(1, leases.length)]?.leaseId ?? madeUpLeaseId(this.number, NO_LEASE_YET_BASE + owner);
      }
      case 'global':
        return this.ctx.ids.resolve(`\u0000ref:lease:${choice.index}`);
      case 'made-up':
        return madeUpLeaseId(this.number, choice.index);
      case 'unknown':
        return choice.value;
    }
  }

  isMadeUp(id: string): boolean {
    return isMadeUpLeaseId(id);
  }

  padding(index: number): string {
    return madeUpLeaseId(this.number, PADDING_BASE + index);
  }

  /** The secret a Hello presents: this worker's latest Welcome secret, another stream's, none, or junk. */
  secret(stream: ProtocolStream, workerId: string, choice: SecretChoice): string {
    switch (choice.of) {
      case 'none':
        return '';
      case 'own': {
        const latest = [...this.streams].reverse().find((s) => s !== stream && s.workerId === workerId && s.welcome);
        return latest?.welcome?.resumeSecret ?? '';
      }
      case 'stream':
        return this.streams[choice.stream % this.streams.length]!.welcome?.resumeSecret ?? '';
      case 'random':
        return choice.value;
    }
  }

  helloSent(stream: ProtocolStream, workerId: string, held: readonly string[], secret: string): void {
    this.secrets.record(workerId, secret);
    this.pendingChecks.push(this.checkReclaimsWhenWelcomed(stream, workerId, held, secret));
  }

  /** Writes a built message; what it changes in the stream's model applies only once it went out. */
  private send(stream: ProtocolStream, built: Built, stepIndex: number): void {
    if (!stream.raw?.write(built.bytes)) return; // half-closed or cancelled: grpc-js refuses to send
    this.ctx.report.sent();
    built.onSent?.();
    stream.sent(built.verdict, stepIndex);
    this.log(stream, built.text);
  }

  private log(stream: ProtocolStream, text: string): void {
    this.transcript.push(`s${stream.index} ${text}`);
  }

  /**
   * Reclaim fencing: Welcome.reclaimed_lease_ids must be among the Hello's held ids, and
   * (worker_service.proto) a lease is reclaimed only with the resume secret of the session
   * that held it; the worker id alone is never enough.
   */
  private async checkReclaimsWhenWelcomed(stream: ProtocolStream, workerId: string, held: readonly string[], secret: string): Promise<void> {
    const raw = stream.raw;
    if (!raw) return;
    await raw.waitFor(() => {
      stream.absorb();
      return stream.welcome !== undefined;
    }, END_WAIT_MS);
    for (const leaseId of stream.welcome?.reclaimedLeaseIds ?? []) {
      if (!held.includes(leaseId)) stream.finding('reclaimed a lease not held', `Welcome reclaimed lease ${leaseId}, which the Hello did not list`);
      const holder = this.streams.find((s) => s !== stream && s.ownsLease(leaseId));
      const rightful = holder?.welcome !== undefined && holder.welcome.resumeSecret !== '' && holder.welcome.resumeSecret === secret;
      if (!rightful) {
        stream.finding(
          'reclaim without the resume secret',
          `Welcome gave lease ${leaseId.slice(0, 36)} back to worker ${workerId} on a Hello ${secret ? 'with a secret that is not' : 'without'} the holding session's resume secret`,
        );
      }
    }
  }

  private checkSupersede(stream: ProtocolStream, code: number, details: string): void {
    if (code !== Number(status.UNAVAILABLE) || !/superseded/i.test(details) || stream.workerId === undefined) return;
    if (!this.secrets.wasPresented(stream.workerId, stream.welcome?.resumeSecret ?? '')) {
      stream.finding(
        'takeover without the resume secret',
        `stream of worker ${stream.workerId} was ended ${statusName(code)} "${detailClass(details)}" by a Hello that did not present its resume secret`,
      );
    }
  }

  private async keepAlive(stream: ProtocolStream, session: 'own' | 'other' | 'random', worker: WorkerIdChoice): Promise<void> {
    const other = this.streams.find((s) => s !== stream && s.welcome);
    const sessionId = session === 'own' ? (stream.welcome?.sessionId ?? '') : session === 'other' ? (other?.welcome?.sessionId ?? '') : `${this.prefix}-session`;
    const workerId = this.workerId(stream, worker);
    this.ctx.report.sent();
    const outcome = await this.ctx.raw.unary('KeepAlive', Buffer.from(KeepAliveRequest.encode({ workerId, sessionId }).finish()), END_WAIT_MS * 5);
    this.ctx.report.answer('protocol KeepAlive', outcome.code);
    this.log(stream, `keep-alive(worker ${workerId.slice(0, 24)}, ${session} session) → ${statusName(outcome.code)}`);
    if (outcome.code === status.INTERNAL || outcome.code === status.UNKNOWN || outcome.code === status.DEADLINE_EXCEEDED) {
      this.extra.push({ signature: statusSignature('KeepAlive', outcome, 'decodes'), summary: `KeepAlive answered ${statusName(outcome.code)} "${outcome.details}"`, input: '' });
    }
    if (outcome.code === status.OK && session === 'other' && other?.workerId !== workerId) {
      const alive = KeepAliveResponse.decode(outcome.responses[0] ?? Buffer.alloc(0)).sessionAlive;
      if (alive) this.extra.push({ signature: "KeepAlive kept another worker's session alive", summary: `KeepAlive from worker ${workerId} kept session ${sessionId} of worker ${other?.workerId} alive`, input: '' });
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
