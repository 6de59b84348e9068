/**
 * The documented rules of a Connect stream (docs/protocol.md, docs/security.md), as
 * verdicts on each message a scenario sends: which statuses must end the stream, or that
 * it must go on. When a message breaks several rules the docs do not say which one wins, so
 * any of their statuses is accepted.
 */
import { status } from '@grpc/grpc-js';

/** How the server must treat a message. */
export type Verdict =
  /** Breaks no rule: the stream must go on. */
  | { readonly kind: 'fine' }
  /** Breaks a documented rule: the stream must end with one of `codes`. */
  | { readonly kind: 'must-end'; readonly codes: readonly status[]; readonly rule: string }
  /** Outside the documented rules (credit 0, a result without outcome): any deliberate answer. */
  | { readonly kind: 'may-end'; readonly what: string };

export interface BrokenRule {
  readonly rule: string;
  readonly codes: readonly status[];
}

export const MAX_CONCURRENCY = 10_000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;
const LEASE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INVALID = [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION];

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

export function isLeaseId(id: string): boolean {
  return LEASE_ID_PATTERN.test(id);
}

/** Lease ids a Hello or a heartbeat may list: running plus unacknowledged. */
export function maxHeldLeases(concurrency: number): number {
  return 2 * concurrency + 64;
}

export function verdictOf(broken: readonly BrokenRule[], otherwise: Verdict): Verdict {
  if (broken.length === 0) return otherwise;
  return { kind: 'must-end', codes: [...new Set(broken.flatMap((b) => b.codes))], rule: broken.map((b) => b.rule).join(' and ') };
}

export interface HelloFacts {
  readonly workerId: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly held: readonly string[];
  /** Another stream of this scenario holds a live session of the worker id, and the Hello lacks its secret. */
  readonly takesOverWithoutSecret: boolean;
}

export function helloRules(hello: HelloFacts): BrokenRule[] {
  const broken: BrokenRule[] = [];
  if (!isValidName(hello.workerId)) broken.push({ rule: 'a hello with a bad worker_id', codes: INVALID });
  if (hello.concurrency < 1 || hello.concurrency > MAX_CONCURRENCY) broken.push({ rule: `a hello with concurrency ${hello.concurrency}`, codes: INVALID });
  if (hello.queues.some((queue) => !isValidName(queue))) broken.push({ rule: 'a hello with a bad queue name', codes: INVALID });
  if (hello.held.some((id) => !isLeaseId(id))) broken.push({ rule: 'a hello holding a malformed lease id', codes: [status.INVALID_ARGUMENT] });
  if (hello.held.length > maxHeldLeases(hello.concurrency)) {
    broken.push({ rule: `a hello holding ${hello.held.length} leases (over 2 × ${hello.concurrency} + 64)`, codes: [status.RESOURCE_EXHAUSTED] });
  }
  if (hello.takesOverWithoutSecret) broken.push({ rule: 'a hello for a connected worker id without its resume secret', codes: [status.ALREADY_EXISTS] });
  return broken;
}

export function heartbeatRules(leaseIds: readonly string[], concurrency: number): BrokenRule[] {
  const broken: BrokenRule[] = [];
  if (leaseIds.some((id) => !isLeaseId(id))) broken.push({ rule: 'a heartbeat listing a malformed lease id', codes: [status.INVALID_ARGUMENT] });
  if (leaseIds.length > maxHeldLeases(concurrency)) {
    broken.push({ rule: `a heartbeat of ${leaseIds.length} lease ids (over 2 × ${concurrency} + 64)`, codes: [status.RESOURCE_EXHAUSTED] });
  }
  return broken;
}

export function resultRules(leaseIds: readonly string[]): BrokenRule[] {
  return leaseIds.some((id) => !isLeaseId(id)) ? [{ rule: 'a result for a malformed lease id', codes: [status.INVALID_ARGUMENT] }] : [];
}

/** Rule 1: anything but Hello first. */
export function beforeHello(what: string): BrokenRule {
  return { rule: `${what} before hello`, codes: [status.FAILED_PRECONDITION] };
}

/** A message that does not decode: INVALID_ARGUMENT, never INTERNAL (docs/protocol.md, errors). */
export const UNDECODABLE: BrokenRule = { rule: 'a message that does not decode', codes: [status.INVALID_ARGUMENT] };
