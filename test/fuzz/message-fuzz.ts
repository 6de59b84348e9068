/**
 * Area 1: random, mutated and garbage messages on every RPC of both services. Each answer
 * must be a status the server chose (never INTERNAL, never UNKNOWN, never silence), and an
 * OK answer must be a well-formed response.
 */
import { GetStatsResponse } from '../../shared/gen/baton/v1/stats';
import fc from 'fast-check';
import { status } from '@grpc/grpc-js';
import {
  CancelTaskResponse,
  GetTaskRequest,
  GetTaskResponse,
  ListTasksResponse,
  RetryTaskResponse,
  SubmitTaskRequest,
  SubmitTaskResponse,
  SubmitTasksRequest,
  SubmitTasksResponse,
  WatchTaskResponse,
} from '../../shared/gen/baton/v1/task_queue';
import { ConnectRequest, ConnectResponse, KeepAliveResponse } from '../../shared/gen/baton/v1/worker_service';
import { scaled } from './fuzz-config';
import { accept, type FuzzContext } from './fuzz-context';
import { detailClass, type Finding } from './fuzz-report';
import { WORKER_QUEUES } from './message-arbitraries';
import { runProperty } from './property-runner';
import { RPC_NAMES, RPCS, statusName, type CallOutcome, type RpcName } from '../support/raw-grpc-client';
import { classifyRequest, describeInput, statusSignature, tryDecode } from './request-description';
import { forbiddenBy } from './submit-rules';
import { CASE_KINDS, encodeCase, wireCaseArb, type CaseKind, type EncodedPart, type WireCase } from './wire-cases';

/** Cases in flight at once per property; nine properties run side by side. */
const BATCH_MAX = 64;
/** fast-check's array lengths with size 'max' average about half the maximum. */
const AVERAGE_BATCH = 31;
/** A call the server leaves unanswered this long counts as a hang. */
export const CALL_DEADLINE_MS = 10_000;
/** After half-close a stream has nothing left to wait for: the server ends it soon, or keeps sending, or is hung. */
const STREAM_END_WAIT_MS = 3000;

/** Default cases per RPC and kind: cheap unary calls carry most of the volume. */
const DEFAULT_CASES: Record<RpcName, number> = {
  SubmitTask: 4500,
  SubmitTasks: 3000,
  GetTask: 4500,
  WatchTask: 3500,
  CancelTask: 4000,
  ListTasks: 3500,
  RetryTask: 4000,
  GetStats: 1500,
  KeepAlive: 4500,
  Connect: 1500,
};

/** Statuses that mean the server did not decide: a crash path, a hang, or a refusal to serve while serving. */
const UNDELIBERATE = new Set<number>([status.INTERNAL, status.UNKNOWN, status.DEADLINE_EXCEEDED]);

const RESPONSE_DECODERS: Record<RpcName, (bytes: Buffer) => unknown> = {
  SubmitTask: (b) => SubmitTaskResponse.decode(b),
  SubmitTasks: (b) => SubmitTasksResponse.decode(b),
  GetTask: (b) => GetTaskResponse.decode(b),
  WatchTask: (b) => WatchTaskResponse.decode(b),
  CancelTask: (b) => CancelTaskResponse.decode(b),
  ListTasks: (b) => ListTasksResponse.decode(b),
  RetryTask: (b) => RetryTaskResponse.decode(b),
  GetStats: (b) => GetStatsResponse.decode(b),
  KeepAlive: (b) => KeepAliveResponse.decode(b),
  Connect: (b) => ConnectResponse.decode(b),
};

/** Real tasks for id references to name from the first case on. */
const SEED_TASKS = 200;

/** Runs every RPC × kind property: RPCs side by side, the kinds of one RPC one after another. */
export async function fuzzMessages(ctx: FuzzContext): Promise<void> {
  await seedTasks(ctx);
  await Promise.all(
    RPC_NAMES.map(async (rpc) => {
      for (const kind of CASE_KINDS) {
        const cases = scaled(ctx.config, DEFAULT_CASES[rpc], 1);
        await runProperty(
          {
            name: `messages ${rpc}/${kind}`,
            arb: fc.array(wireCaseArb(rpc, kind), { minLength: 1, maxLength: BATCH_MAX, size: 'max' }),
            numRuns: Math.max(1, Math.ceil(cases / AVERAGE_BATCH)),
            run: async (batch) => (await Promise.all(batch.map((wireCase) => runCase(ctx, wireCase, kind)))).flat(),
          },
          ctx.config,
          ctx.report,
          ctx.known,
        );
      }
    }),
  );
}

async function seedTasks(ctx: FuzzContext): Promise<void> {
  const requests: SubmitTaskRequest[] = Array.from({ length: SEED_TASKS }, (_, i) => ({
    queue: ['default', ...WORKER_QUEUES, 'fz-q'][i % 4]!,
    type: 'seed',
    payload: Buffer.from(`{"i":${i}}`),
    contentType: '',
    priority: i % 3,
    maxAttempts: 1 + (i % 3),
    idempotencyKey: '',
    labels: {},
    traceContext: {},
    fairnessKey: '',
  }));
  const outcome = await ctx.raw.unary('SubmitTasks', Buffer.from(SubmitTasksRequest.encode({ tasks: requests }).finish()), CALL_DEADLINE_MS);
  if (outcome.code !== status.OK) throw new Error(`seeding ${SEED_TASKS} tasks failed: ${statusName(outcome.code)} ${outcome.details}`);
  for (const response of SubmitTasksResponse.decode(outcome.responses[0]!).responses) accept(ctx, response.task?.id);
}

async function runCase(ctx: FuzzContext, wireCase: WireCase, kind: CaseKind): Promise<Finding[]> {
  const parts = encodeCase(wireCase, ctx.ids);
  const rpc = wireCase.rpc;
  ctx.report.sent(parts.length);
  const outcome = await send(ctx, rpc, parts);
  ctx.report.answer(`messages ${rpc}/${kind}`, outcome.cancelledByUs ? 'OK+cancel' : outcome.code);
  return checkOutcome(ctx, rpc, parts, outcome);
}

async function send(ctx: FuzzContext, rpc: RpcName, parts: readonly EncodedPart[]): Promise<CallOutcome> {
  const shape = RPCS[rpc].shape;
  const first = parts[0]!.bytes;
  if (shape === 'unary') return ctx.raw.unary(rpc, first, CALL_DEADLINE_MS);
  if (shape === 'server-stream') return ctx.raw.serverStream(rpc, first, CALL_DEADLINE_MS);
  const stream = ctx.raw.bidi(rpc);
  for (const part of parts) stream.write(part.bytes);
  stream.halfClose();
  if (!(await stream.waitForEnd(STREAM_END_WAIT_MS))) {
    stream.cancel();
    await stream.ended;
    return { code: status.DEADLINE_EXCEEDED, details: `half-closed stream went silent without a status (waited ${STREAM_END_WAIT_MS}ms plus 5ms per KiB sent)`, responses: stream.responses, cancelledByUs: false };
  }
  return stream.ended;
}

function checkOutcome(ctx: FuzzContext, rpc: RpcName, parts: readonly EncodedPart[], outcome: CallOutcome): Finding[] {
  const findings: Finding[] = [];
  const unaryUnavailable = outcome.code === status.UNAVAILABLE && rpc !== 'Connect';
  const resetByServer = outcome.code === status.CANCELLED && !outcome.cancelledByUs;
  const ourDeadline = outcome.code === status.DEADLINE_EXCEEDED && /^Deadline exceeded|went silent/.test(outcome.details);
  if ((UNDELIBERATE.has(outcome.code) && (outcome.code !== status.DEADLINE_EXCEEDED || ourDeadline)) || unaryUnavailable || resetByServer) {
    const given = classifyRequest(rpc, parts);
    findings.push({
      signature: statusSignature(rpc, outcome, given.kind),
      summary: `${rpc} answered ${statusName(outcome.code)} "${outcome.details}" to ${given.words}; expected a deliberate status (e.g. INVALID_ARGUMENT)`,
      input: () => describeInput(rpc, parts),
    });
  }
  findings.push(...checkIdForm(rpc, parts, outcome));
  const answered = outcome.code === status.OK || outcome.cancelledByUs || rpc === 'Connect';
  if (!answered) return findings;
  for (const response of outcome.responses) {
    let decoded: unknown;
    try {
      decoded = RESPONSE_DECODERS[rpc](response);
    } catch (err: unknown) {
      findings.push({ signature: `${rpc} malformed response`, summary: `${rpc} sent a response its own schema cannot decode: ${String(err)}`, input: () => describeInput(rpc, parts) });
      continue;
    }
    findings.push(...learn(ctx, rpc, parts, decoded, outcome));
  }
  return findings;
}

/** Records ids from an answer and checks what the answer promises about the request. */
function learn(ctx: FuzzContext, rpc: RpcName, parts: readonly EncodedPart[], decoded: unknown, outcome: CallOutcome): Finding[] {
  const input = (): string => describeInput(rpc, parts);
  const found = (signature: string, summary: string): Finding[] => [{ signature: `${rpc} ${signature}`, summary: `${rpc} ${summary}`, input }];
  if (rpc === 'SubmitTask' && outcome.code === status.OK) {
    const response = decoded as SubmitTaskResponse;
    accept(ctx, response.task?.id);
    const request = tryDecode(() => SubmitTaskRequest.decode(parts[0]!.bytes));
    if (!response.task) return found('OK without a task', 'answered OK with no task');
    if (!request) return [];
    const forbidden = forbiddenBy(request, ctx.maxPayloadBytes, Date.now());
    if (forbidden.length > 0) return found(`accepted what the docs forbid: ${detailClass(forbidden[0]!)}`, `accepted a submission the docs forbid: ${forbidden.join('; ')}`);
    if (!response.deduplicated && (response.task.type !== request.type || response.task.queue !== (request.queue || 'default'))) {
      return found('stored something else', `stored type "${response.task.type}" queue "${response.task.queue}" for a request of type "${request.type}" queue "${request.queue}"`);
    }
  }
  if (rpc === 'SubmitTasks' && outcome.code === status.OK) {
    const response = decoded as SubmitTasksResponse;
    for (const item of response.responses) accept(ctx, item.task?.id);
    const request = tryDecode(() => SubmitTasksRequest.decode(parts[0]!.bytes));
    if (!request) return [];
    if (request.tasks.length !== response.responses.length) {
      return found('partial batch', `answered OK with ${response.responses.length} tasks for ${request.tasks.length} requests (all or nothing)`);
    }
    const forbidden = request.tasks.flatMap((item, i) => forbiddenBy(item, ctx.maxPayloadBytes, Date.now()).map((reason) => `tasks[${i}]: ${reason}`));
    if (forbidden.length > 0) return found(`accepted what the docs forbid: ${detailClass(forbidden[0]!.replace(/^tasks\[\d+\]: /, ''))}`, `accepted a batch the docs forbid: ${forbidden.slice(0, 3).join('; ')}`);
  }
  if (rpc === 'WatchTask' && (decoded as WatchTaskResponse).task?.payload.length) {
    return found('update carries the payload', 'sent an update with the payload; docs/protocol.md: watch messages carry no payload');
  }
  if (rpc === 'Connect') learnFromConnect(ctx, parts, decoded as ConnectResponse);
  return [];
}

/** GetTask of something that is not a lowercase UUID is INVALID_ARGUMENT (docs/protocol.md). */
function checkIdForm(rpc: RpcName, parts: readonly EncodedPart[], outcome: CallOutcome): Finding[] {
  if (rpc !== 'GetTask' || outcome.code === status.INVALID_ARGUMENT || UNDELIBERATE.has(outcome.code)) return [];
  const request = tryDecode(() => GetTaskRequest.decode(parts[0]!.bytes));
  if (!request || TASK_ID.test(request.id)) return [];
  return [{
    signature: `GetTask ${statusName(outcome.code)} for an id that is not a UUID`,
    summary: `GetTask of "${request.id.slice(0, 40)}" answered ${statusName(outcome.code)} "${outcome.details}"; docs/protocol.md: INVALID_ARGUMENT for an id that is not a lowercase UUID`,
    input: () => describeInput(rpc, parts),
  }];
}

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function learnFromConnect(ctx: FuzzContext, parts: readonly EncodedPart[], response: ConnectResponse): void {
  const message = response.message;
  if (message?.$case === 'welcome') {
    ctx.ids.addSession(message.value.sessionId);
    const hello = tryDecode(() => ConnectRequest.decode(parts[0]!.bytes));
    if (hello?.message?.$case === 'hello') ctx.ids.addWorker(hello.message.value.workerId);
  }
  if (message?.$case === 'leases') for (const lease of message.value.leases) ctx.ids.addLease(lease.leaseId);
}
