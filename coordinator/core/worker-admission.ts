import { createHash, randomBytes } from 'node:crypto';
import { BatonError, ResourceExhaustedError } from '../../shared/errors';
import type { EngineLimits } from './engine-options';
import { ownerKey, type WorkerSession } from './sessions';
import { ANONYMOUS_PRINCIPAL, type HelloSpec } from './worker-channel';

/*
 * Who may open a worker session. A session and its leases belong to one worker process,
 * which is why reclaiming or taking over needs more than the ids GetTask shows.
 */

/**
 * What binds a lease to the worker process it was granted to: a hash of the credential the
 * worker connected with (its principal), its worker id and the resume secret its first
 * Welcome gave it. A Hello may take over a session or reclaim a lease only with the same
 * proof, so neither a worker id read from GetTask nor another credential is ever enough.
 * Only the hash is kept (in memory and with the attempt in the store); the secret itself
 * lives in the worker's memory alone.
 */
export function workerProof(principal: string, workerId: string, resumeSecret: string): string {
  return createHash('sha256').update(principal).update('\n').update(workerId).update('\n').update(resumeSecret).digest('hex');
}

/** 256 bits, URL-safe: what a Welcome hands a worker on its first stream. */
export function newResumeSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Slack allowed above a session's concurrency in a Hello's or heartbeat's lease list: results awaiting acks. */
export const HELD_LEASE_MARGIN = 64;

/** The longest lease list a worker of `concurrency` slots may send: running plus unacknowledged. */
export function maxHeldLeases(concurrency: number): number {
  return 2 * concurrency + HELD_LEASE_MARGIN;
}

/** What {@link admitHello} weighs a Hello against. */
export interface HelloContext {
  /** The Hello's proof (from the secret it presented, or a fresh one). */
  readonly proof: string;
  /** The live session of the same principal and worker id, if any. */
  readonly previous: WorkerSession | undefined;
  /** The proof of the process that disconnected holding leases under this worker id, while they wait for it. */
  readonly reservedFor: string | undefined;
  readonly connected: number;
  /** Sessions of the Hello's credential. */
  readonly connectedWithCredential: number;
  readonly limits: EngineLimits;
  readonly leaseTimeoutMs: number;
}

/**
 * Whether a Hello may open a session: the rules of worker identity and the session limits.
 * @throws BatonError ALREADY_EXISTS when the worker id belongs to another process (a live
 *   session, or a departed one whose leases still wait for it); ResourceExhaustedError past
 *   `maxWorkers` or the held-lease limit.
 */
export function admitHello(hello: HelloSpec, context: HelloContext): void {
  const { proof, previous, reservedFor, connected, connectedWithCredential, limits, leaseTimeoutMs } = context;
  const holder = previous?.proof ?? reservedFor;
  if (holder !== undefined && holder !== proof) {
    const [where, until] = previous
      ? ['is connected on another stream', 'until that process disconnects and its leases expire']
      : ['disconnected holding leases that still wait for it', `up to ${leaseTimeoutMs}ms, until they expire`];
    throw new BatonError(
      'ALREADY_EXISTS',
      `worker id ${hello.workerId} ${where}; only that process may take it over (with the resume_secret of its Welcome). ` +
        `A new process must use another worker id, or wait ${until}`,
    );
  }
  if (!previous && connected >= limits.maxWorkerSessions) {
    throw new ResourceExhaustedError(`${connected} worker sessions are connected, the limit (maxWorkers) is ${limits.maxWorkerSessions}`);
  }
  // Without credentials everyone is 'anonymous': one credential in name only, bounded by maxWorkers alone.
  if (!previous && hello.principal !== ANONYMOUS_PRINCIPAL && connectedWithCredential >= limits.maxWorkerSessionsPerCredential) {
    throw new ResourceExhaustedError(
      `${connectedWithCredential} worker sessions are connected with this credential, the limit (maxWorkersPerCredential) is ${limits.maxWorkerSessionsPerCredential}`,
    );
  }
  if (hello.heldLeaseIds.length > maxHeldLeases(hello.concurrency)) {
    throw new ResourceExhaustedError(
      `hello.held_lease_ids: ${hello.heldLeaseIds.length} entries is over the limit of ${maxHeldLeases(hello.concurrency)} (2 × concurrency + ${HELD_LEASE_MARGIN})`,
    );
  }
}

/**
 * Worker ids whose stream closed while holding leases. Until those leases expire (one lease
 * timeout), only the same process may use the id: otherwise anyone with the same credential
 * could take the id in the gap, lock the real worker out and let its leases expire.
 * Entries expire in the order they were made, all living one lease timeout.
 */
export class WorkerIdReservations {
  private readonly byOwner = new Map<string, { readonly proof: string; readonly untilMs: number }>();

  reserve(principal: string, workerId: string, proof: string, untilMs: number): void {
    const key = ownerKey(principal, workerId);
    this.byOwner.delete(key); // re-inserted at the end: the map stays in expiry order
    this.byOwner.set(key, { proof, untilMs });
  }

  /** The proof the id is reserved for, if a reservation is live at `nowMs`. */
  holder(principal: string, workerId: string, nowMs: number): string | undefined {
    this.sweep(nowMs);
    const reservation = this.byOwner.get(ownerKey(principal, workerId));
    return reservation && reservation.untilMs > nowMs ? reservation.proof : undefined;
  }

  release(principal: string, workerId: string): void {
    this.byOwner.delete(ownerKey(principal, workerId));
  }

  private sweep(nowMs: number): void {
    for (const [key, reservation] of this.byOwner) {
      if (reservation.untilMs > nowMs) return;
      this.byOwner.delete(key);
    }
  }
}
