import { createHash, randomBytes } from 'node:crypto';
import { BatonError, ResourceExhaustedError } from '../../shared/errors';
import type { EngineLimits } from './engine-options';
import type { WorkerSession } from './sessions';
import type { HelloSpec } from './worker-channel';

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

/**
 * Whether a Hello may open a session: the rules of worker identity and the session limits.
 * @param previous the live session of the same principal and worker id, if any.
 * @param proof the Hello's proof (from the secret it presented, or a fresh one).
 * @throws BatonError ALREADY_EXISTS when `previous` belongs to another process;
 *   ResourceExhaustedError past `maxWorkers` or the held-lease limit.
 */
export function admitHello(
  hello: HelloSpec,
  proof: string,
  previous: WorkerSession | undefined,
  connected: number,
  limits: EngineLimits,
  leaseTimeoutMs: number,
): void {
  if (previous && previous.proof !== proof) {
    throw new BatonError(
      'ALREADY_EXISTS',
      `worker id ${hello.workerId} is connected on another stream; only that process may take it over (with the resume_secret ` +
        `of its Welcome). A new process must use another worker id or wait up to ${leaseTimeoutMs}ms for the old session to time out`,
    );
  }
  if (!previous && connected >= limits.maxWorkerSessions) {
    throw new ResourceExhaustedError(`${connected} worker sessions are connected, the limit (maxWorkers) is ${limits.maxWorkerSessions}`);
  }
  if (hello.heldLeaseIds.length > maxHeldLeases(hello.concurrency)) {
    throw new ResourceExhaustedError(
      `hello.held_lease_ids: ${hello.heldLeaseIds.length} entries is over the limit of ${maxHeldLeases(hello.concurrency)} (2 × concurrency + ${HELD_LEASE_MARGIN})`,
    );
  }
}
