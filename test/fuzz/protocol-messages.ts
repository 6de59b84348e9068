/**
 * Turns a scenario step into the bytes of a ConnectRequest, the verdict the documented rules
 * give it (protocol-rules.ts), and what sending it changes in the stream's model.
 */
import { status } from '@grpc/grpc-js';
import { ConnectRequest, type TaskResult } from '../../shared/gen/baton/v1/worker_service';
import { brief } from './fuzz-report';
import { beforeHello, heartbeatRules, helloRules, resultRules, UNDECODABLE, verdictOf, type BrokenRule, type Verdict } from './protocol-rules';
import type { LeaseChoice, StreamAction } from './protocol-scenarios';
import type { ProtocolStream } from './protocol-stream';

/** A message ready to send, and what sending it changes in the stream's model. */
export interface Built {
  readonly bytes: Buffer;
  readonly verdict: Verdict;
  readonly text: string;
  readonly onSent?: () => void;
}

/** What the builder needs from the scenario: ids resolved now, and the other streams. */
export interface BuildEnv {
  readonly streams: readonly ProtocolStream[];
  lease(stream: ProtocolStream, choice: LeaseChoice): string;
  /** Whether `id` is one no coordinator granted (made up by the fuzzer). */
  isMadeUp(id: string): boolean;
  workerId(stream: ProtocolStream, choice: Extract<StreamAction, { kind: 'hello' }>['workerId']): string;
  secret(stream: ProtocolStream, workerId: string, choice: Extract<StreamAction, { kind: 'hello' }>['secret']): string;
  padding(index: number): string;
  /** Called once a Hello went out. */
  helloSent(stream: ProtocolStream, workerId: string, held: readonly string[], secret: string): void;
}

export type SendableAction = Exclude<StreamAction, { kind: 'pause' | 'keep-alive' | 'cancel' | 'half-close' }>;

export function buildMessage(stream: ProtocolStream, action: SendableAction, env: BuildEnv): Built {
  const first = !stream.helloSent;
  const orFirst = (what: string, broken = verdictOf([], { kind: 'fine' })): Verdict => (first ? verdictOf([beforeHello(what)], broken) : broken);
  switch (action.kind) {
    case 'hello':
      return buildHello(stream, action, env);
    case 'heartbeat': {
      const listed = action.leases.map((choice) => env.lease(stream, choice));
      for (let i = 0; i < action.padding; i += 1) listed.push(env.padding(i));
      const received = action.received === 'actual' ? stream.leases.length : action.received;
      const broken = heartbeatRules(listed, stream.concurrency);
      const verdict = first ? verdictOf([beforeHello('heartbeat')], { kind: 'fine' }) : verdictOf(broken, { kind: 'fine' });
      const madeUp = listed.filter((id) => env.isMadeUp(id));
      const onSent = (): void => {
        if (!first && broken.length === 0) stream.madeUpInHeartbeats.push([...new Set(madeUp)]);
      };
      return { bytes: encode({ message: { $case: 'heartbeat', value: { leaseIds: listed, leasesReceived: received } } }), verdict, text: `heartbeat(${listed.length} ids, received ${received})`, onSent };
    }
    case 'credit': {
      const inRange = action.slots >= 1 && action.slots <= 10_000;
      const verdict = orFirst('credit', inRange ? { kind: 'fine' } : { kind: 'may-end', what: `credit ${action.slots}` });
      const onSent = (): void => {
        if (!first) stream.grantCredit(action.slots);
      };
      return { bytes: encode({ message: { $case: 'credit', value: { slots: action.slots } } }), verdict, text: `credit(${action.slots})`, onSent };
    }
    case 'results': {
      const results: TaskResult[] = action.results.map(({ lease, outcome, resultBytes }) => {
        const leaseId = env.lease(stream, lease);
        if (outcome === 'none') return { leaseId };
        if (outcome === 'success') return { leaseId, outcome: { $case: 'success', value: { result: Buffer.alloc(resultBytes, 0x7b), contentType: '' } } };
        return { leaseId, outcome: { $case: 'failure', value: { message: 'fuzz', nonRetryable: outcome === 'non-retryable', errorType: 'Fuzz' } } };
      });
      const broken = resultRules(results.map((r) => r.leaseId));
      const noOutcome = results.some((r) => r.outcome === undefined);
      const otherwise: Verdict = noOutcome ? { kind: 'may-end', what: 'a result with neither success nor failure' } : { kind: 'fine' };
      const verdict = first ? verdictOf([beforeHello('results')], otherwise) : verdictOf(broken, otherwise);
      const onSent = (): void => {
        for (const result of results) stream.resultsSentFor.add(result.leaseId);
      };
      const text = `results(${results.map((r) => `${r.leaseId.slice(0, 13)}:${r.outcome?.$case ?? 'none'}`).join(',')})`;
      return { bytes: encode({ message: { $case: 'results', value: { results } } }), verdict, text, onSent };
    }
    case 'drain':
      return { bytes: encode({ message: { $case: 'drain', value: {} } }), verdict: orFirst('drain'), text: 'drain' };
    case 'garbage': {
      const decodes = tryDecode(action.bytes);
      const verdict = decodes ? { kind: 'may-end' as const, what: 'random bytes that happen to decode' } : verdictOf(first ? [UNDECODABLE, beforeHello('garbage')] : [UNDECODABLE], { kind: 'fine' });
      return { bytes: Buffer.from(action.bytes), verdict, text: `garbage(${Buffer.from(action.bytes).toString('hex')})` };
    }
    case 'empty':
      // Docs say "anything else first" fails the precondition; the code calls an empty oneof malformed. Either is deliberate.
      return { bytes: encode({ message: undefined }), verdict: { kind: 'may-end', what: 'an empty ConnectRequest' }, text: 'empty' };
  }
}

function buildHello(stream: ProtocolStream, action: Extract<StreamAction, { kind: 'hello' }>, env: BuildEnv): Built {
  const heir = action.inherit === undefined ? undefined : env.streams[action.inherit % env.streams.length];
  const inherited = heir !== undefined && heir !== stream ? heir : undefined;
  const workerId = inherited?.workerId ?? env.workerId(stream, action.workerId);
  const held = [...(inherited?.leases.map((lease) => lease.leaseId) ?? []), ...action.held.map((choice) => env.lease(stream, choice))];
  const secret = inherited ? (inherited.welcome?.resumeSecret ?? '') : env.secret(stream, workerId, action.secret);
  const message: ConnectRequest = {
    message: { $case: 'hello', value: { workerId, queues: [...action.queues], taskTypes: [], concurrency: action.concurrency, heldLeaseIds: held, resumeSecret: secret } },
  };
  const text = `hello(worker ${workerId.slice(0, 24)}, queues ${brief(action.queues, 60)}, concurrency ${action.concurrency}, ${held.length} held, secret ${secret ? 'given' : 'none'}${inherited ? `, reconnecting as s${inherited.index}` : ''})`;
  if (stream.helloSent) return { bytes: encode(message), verdict: verdictOf([{ rule: 'a second hello', codes: [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION] }], { kind: 'fine' }), text };
  // Another stream of this scenario with the same worker id: a live session we lack the secret
  // of must refuse this Hello (ALREADY_EXISTS); one whose Hello is still in flight, that may
  // have ended already, or that left leases waiting for it (the coordinator keeps the id for
  // their process until they expire) may or may not.
  const sameId = env.streams.filter((s) => s !== stream && s.workerId === workerId);
  const holder = sameId.find((s) => s.isLiveSession() && !s.brokeRule() && s.welcome?.resumeSecret !== secret);
  const takesOverWithoutSecret = holder !== undefined;
  const mayCollide = sameId.length > 0 || action.workerId.of === 'shared' || action.workerId.of === 'literal';
  // Streams may reach the server in any order: this Hello may win, and an earlier one not yet welcomed lose.
  for (const other of sameId) if (!other.welcome && other.raw?.isFinished !== true) other.mayEndWith(status.ALREADY_EXISTS);
  const broken = helloRules({ workerId, concurrency: action.concurrency, queues: action.queues, held: [...new Set(held)], takesOverWithoutSecret });
  const maybe: BrokenRule[] = [];
  if (mayCollide) maybe.push({ rule: 'a worker id another stream may hold', codes: [status.ALREADY_EXISTS] });
  // Secrets are only checked for form, and the form is not documented.
  if (action.secret.of === 'random' && secret !== '') maybe.push({ rule: 'a secret that is no Welcome\'s', codes: [status.INVALID_ARGUMENT] });
  const verdict = broken.length > 0 ? verdictOf([...broken, ...maybe], { kind: 'fine' }) : maybe.length > 0 ? ({ kind: 'may-end', what: maybe.map((m) => m.rule).join(' and ') } as const) : ({ kind: 'fine' } as const);
  const onSent = (): void => {
    stream.helloSent = true;
    stream.workerId = workerId;
    stream.concurrency = action.concurrency;
    stream.queues = action.queues;
    stream.heldAtHello = new Set(held).size;
    stream.presentedSecret = secret;
    stream.helloDependsOn = holder;
    env.helloSent(stream, workerId, held, secret);
  };
  return { bytes: encode(message), verdict, text, onSent };
}

function tryDecode(bytes: Uint8Array): boolean {
  try {
    ConnectRequest.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function encode(message: ConnectRequest): Buffer {
  return Buffer.from(ConnectRequest.encode(message).finish());
}

