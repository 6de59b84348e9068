import { createHash, randomBytes } from 'node:crypto';

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
