/**
 * One Connect stream of a protocol scenario: what was sent (and which rule each message
 * broke), what came back, and the invariants docs/protocol.md and worker_service.proto
 * promise about it.
 */
import { status } from '@grpc/grpc-js';
import { CancelReason, ConnectResponse, type Cancel, type Lease, type ResultAck, type Welcome } from '../../shared/gen/baton/v1/worker_service';
import { detailClass, type Finding, type FuzzReport } from './fuzz-report';
import { statusSignature } from './request-description';
import { MAX_CONCURRENCY, type Verdict } from './protocol-rules';
import { statusName } from '../support/raw-grpc-client';
import type { CallOutcome, RawStream } from '../support/raw-stream';

/**
 * Statuses a stream may end with for reasons outside its own messages: its worker id taken
 * over (with the secret), declared dead, coordinator shutdown, or no Hello in time.
 */
function endedFromOutside(outcome: CallOutcome): boolean {
  if (outcome.code === status.DEADLINE_EXCEEDED && /hello/i.test(outcome.details)) return true;
  return outcome.code === status.UNAVAILABLE && /superseded|heartbeat|declared dead|shutting down/i.test(outcome.details);
}

export class ProtocolStream {
  raw: RawStream | undefined;
  workerId: string | undefined;
  concurrency = 0;
  queues: readonly string[] = [];
  heldAtHello = 0;
  helloSent = false;
  halfClosed = false;
  cancelledByUs = false;
  welcome: Welcome | undefined;
  /**
   * The live stream whose session this stream's Hello collided with. A new stream's first
   * bytes can reach the server after messages we send later on established streams, so the
   * collision is certain only if that stream was still open when ours got its first answer.
   */
  helloDependsOn: ProtocolStream | undefined;
  /** Hello.resume_secret this stream presented. */
  presentedSecret = '';
  readonly leases: Lease[] = [];
  readonly cancels: Cancel[] = [];
  readonly acks: ResultAck[] = [];
  readonly resultsSentFor = new Set<string>();
  /** Per heartbeat sent, the lease ids it listed that no coordinator could have granted. */
  readonly madeUpInHeartbeats: Array<readonly string[]> = [];
  private validCreditSlots = 0;
  /** Codes another stream's doing may end this one with (a Hello for the same worker id that overtook ours). */
  private readonly alsoAcceptable = new Set<number>();
  private firstRuleBreak: { readonly verdict: Exclude<Verdict, { kind: 'fine' }>; readonly step: number; readonly atMs: number } | undefined;
  private absorbed = 0;
  readonly findings: Finding[] = [];

  constructor(
    readonly index: number,
    readonly label: string,
    /** Where coverage is counted: welcomes, reclaims, leases, acks. */
    private readonly stats?: FuzzReport,
  ) {}

  /** Records what a sent message means for the end of the stream. */
  sent(verdict: Verdict, step: number): void {
    if (verdict.kind !== 'fine' && this.firstRuleBreak === undefined) this.firstRuleBreak = { verdict, step, atMs: Date.now() };
  }

  mayEndWith(code: number): void {
    this.alsoAcceptable.add(code);
  }

  grantCredit(slots: number): void {
    if (slots >= 1 && slots <= MAX_CONCURRENCY) this.validCreditSlots += slots;
  }

  /** Decodes the answers that arrived since the last call. */
  absorb(): void {
    const responses = this.raw?.responses ?? [];
    for (; this.absorbed < responses.length; this.absorbed += 1) {
      let response: ConnectResponse;
      try {
        response = ConnectResponse.decode(responses[this.absorbed]!);
      } catch (err: unknown) {
        this.finding('malformed answer', `Connect sent a message its own schema cannot decode: ${String(err)}`);
        continue;
      }
      const message = response.message;
      if (message?.$case === 'welcome') this.onWelcome(message.value);
      else if (message?.$case === 'leases') this.onLeases(message.value.leases);
      else if (message?.$case === 'cancel') this.cancels.push(message.value);
      else if (message?.$case === 'resultAcks') this.onAcks(message.value.acks);
    }
  }

  isClosedByUs(): boolean {
    return this.halfClosed || this.cancelledByUs;
  }

  /** Whether a message this stream sent may have ended it (so its session may be gone). */
  brokeRule(): boolean {
    return this.firstRuleBreak !== undefined;
  }

  /** Welcomed, and neither ended nor closed by us: its session is connected as far as we know. */
  isLiveSession(): boolean {
    return this.welcome !== undefined && this.raw !== undefined && !this.raw.isFinished && !this.halfClosed && !this.cancelledByUs;
  }

  ownsLease(leaseId: string): boolean {
    return this.leases.some((lease) => lease.leaseId === leaseId) || (this.welcome?.reclaimedLeaseIds.includes(leaseId) ?? false);
  }

  /** Checks the end of the stream against the rules its messages broke (or did not). */
  checkEnd(outcome: CallOutcome): void {
    this.absorb();
    if (outcome.cancelledByUs) return;
    const code = outcome.code;
    const said = `${statusName(code)} "${outcome.details}"`;
    if (code === status.INTERNAL || code === status.UNKNOWN || code === status.CANCELLED) {
      // Same signature as the message fuzz's, so that one bug is shrunk once.
      // The garbage steps are what a protocol sequence cannot decode: same signature as the message fuzz's.
      this.findings.push({ signature: statusSignature('Connect', outcome, /deserializ/i.test(outcome.details) ? 'undecodable' : 'decodes'), summary: `${this.label}: Connect stream ended ${said}, not with a status the server chose`, input: '' });
      return;
    }
    if (endedFromOutside(outcome) || this.alsoAcceptable.has(code)) return;
    const first = this.firstRuleBreak;
    if (first === undefined) {
      if (code !== status.OK && this.halfClosed) {
        this.finding(`ended a rule-abiding stream ${statusName(code)} "${detailClass(outcome.details)}"`, `a stream that broke no documented rule was ended ${said}`);
      }
      if (code === status.OK) this.checkUnknownLeasesCanceled();
      return;
    }
    if (first.verdict.kind === 'must-end' && !first.verdict.codes.includes(code) && !this.collisionUncertain()) {
      const expected = first.verdict.codes.map(statusName).join(' or ');
      this.finding(`${first.verdict.rule}: ${statusName(code)}`, `after ${first.verdict.rule} (step ${first.step}) the stream should end ${expected}; it ended ${said}`);
    }
  }

  /** Whether the session our Hello collided with may have ended before the server read our Hello. */
  private collisionUncertain(): boolean {
    const holder = this.helloDependsOn;
    if (holder === undefined) return false;
    const mayHaveEnded = [holder.raw?.closedByUsAtMs, holder.firstRuleBreak?.atMs, holder.raw?.endedAtMs].filter((t): t is number => t !== undefined);
    if (mayHaveEnded.length === 0) return false;
    const answeredAt = this.raw?.firstAnswerAtMs;
    return answeredAt === undefined || Math.min(...mayHaveEnded) <= answeredAt;
  }

  private onWelcome(welcome: Welcome): void {
    this.stats?.answer('protocol welcomes', welcome.reclaimedLeaseIds.length > 0 ? 'with reclaimed leases' : 'plain');
    if (this.welcome) this.finding('second welcome', 'Connect sent a second Welcome on one stream');
    this.welcome = welcome;
    if (welcome.resumeSecret === '') {
      this.finding('welcome without resume secret', 'Welcome.resume_secret is empty; worker_service.proto says every Welcome carries the secret a reconnect must present');
    }
  }

  private onLeases(leases: readonly Lease[]): void {
    for (const lease of leases) {
      this.leases.push(lease);
      this.stats?.answer('protocol leases', 'received');
      const served = this.queues.length === 0 ? ['default'] : this.queues;
      if (!served.includes(lease.queue)) {
        this.finding('lease from an unserved queue', `lease ${lease.leaseId} of queue "${lease.queue}" went to a worker serving ${JSON.stringify(served)}`);
      }
    }
    const bound = Math.max(0, this.concurrency - this.heldAtHello) + this.validCreditSlots;
    if (this.leases.length > bound) {
      this.finding(
        'more leases than credit',
        `stream received ${this.leases.length} leases with credit for ${bound} (concurrency ${this.concurrency}, ${this.heldAtHello} held at hello, ${this.validCreditSlots} credit slots sent)`,
      );
    }
  }

  private onAcks(acks: readonly ResultAck[]): void {
    for (const ack of acks) {
      this.acks.push(ack);
      this.stats?.answer('protocol result acks', ack.code);
      if (!this.resultsSentFor.has(ack.leaseId)) {
        this.finding('ack for a result never sent', `ResultAck for lease "${ack.leaseId.slice(0, 60)}", for which this stream sent no result`);
      }
      if (ack.code === Number(status.OK) && !this.ownsLease(ack.leaseId)) {
        this.finding('fencing: accepted a result for a lease the stream does not hold', `ResultAck OK for lease "${ack.leaseId.slice(0, 60)}", which this stream never received or reclaimed`);
      }
      if (![status.OK, status.FAILED_PRECONDITION, status.UNAVAILABLE].map(Number).includes(ack.code)) {
        this.finding(`ack code ${statusName(ack.code)}`, `ResultAck with code ${statusName(ack.code)} "${ack.message}"; the protocol names OK and FAILED_PRECONDITION`);
      }
    }
  }

  /**
   * A clean end means every message was processed: the unknown leases of each heartbeat
   * must have come back in one Cancel naming them all (docs/protocol.md, rule 3).
   */
  private checkUnknownLeasesCanceled(): void {
    const unknownLeaseCancels = this.cancels.filter((cancel) => cancel.reason === CancelReason.CANCEL_REASON_UNKNOWN_LEASE);
    for (const madeUp of this.madeUpInHeartbeats) {
      if (madeUp.length === 0) continue;
      const canceledTogether = unknownLeaseCancels.some((cancel) => madeUp.every((id) => cancel.leaseIds.includes(id)));
      if (canceledTogether) continue;
      const canceledAtAll = madeUp.filter((id) => unknownLeaseCancels.some((cancel) => cancel.leaseIds.includes(id))).length;
      this.finding(
        canceledAtAll === madeUp.length ? 'unknown leases of a heartbeat canceled in pieces' : 'unknown leases of a heartbeat not canceled',
        `a heartbeat listed ${madeUp.length} leases nobody granted; ${canceledAtAll} came back in Cancel (UNKNOWN_LEASE) messages, and no single Cancel named them all`,
      );
      return;
    }
  }

  finding(what: string, summary: string): void {
    this.findings.push({ signature: `Connect protocol: ${what}`, summary: `${this.label}: ${summary}`, input: '' });
  }
}
