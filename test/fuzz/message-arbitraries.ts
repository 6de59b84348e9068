/**
 * fast-check arbitraries for every request message of baton.v1, as the generated TypeScript
 * types describe them: well-typed, but with values spread over the edges the coordinator
 * must validate (names, limits, durations, enum values out of range, map keys like
 * `__proto__`). Ids may be references to objects the coordinator made (see known-ids.ts).
 */
import type { GetStatsRequest } from '../../shared/gen/baton/v1/stats';
import fc from 'fast-check';
import type { Duration } from '../../shared/gen/google/protobuf/duration';
import type { RetryPolicy, TaskState } from '../../shared/gen/baton/v1/task';
import type {
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  RetryTaskRequest,
  SubmitTaskRequest,
  SubmitTasksRequest,
  WatchTaskRequest,
} from '../../shared/gen/baton/v1/task_queue';
import type { ConnectRequest, Hello, KeepAliveRequest, TaskResult } from '../../shared/gen/baton/v1/worker_service';
import { madeUpLeaseId, ref } from './known-ids';

/** Queues the protocol fuzz's workers serve; valid names, so that tasks submitted there get leased. */
export const WORKER_QUEUES = ['fz.a', 'fz.b'] as const;

const VALID_NAMES = ['default', ...WORKER_QUEUES, 'fz-q', 'a', 'A1_b.c:d/e-f', 'x'.repeat(128)];
const BAD_NAMES = ['', ' ', 'x'.repeat(129), '-lead', '.lead', 'has space', 'tab\t', 'ünï', 'nul\u0000byte', '\ud800', '../../etc', "q'uote", '%s%n', 'a\nb'];

/** Any text, including lone surrogates and control characters. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);

/** Queue, type and worker names: mostly valid (to get past validation), often at or just past an edge. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALID_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_NAMES) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,20}$/) },
  { weight: 1, arbitrary: anyString },
);

export const uint32Arb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 2, 63, 64, 65, 999, 1000, 1001, 9999, 10_000, 10_001, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 20 }),
  fc.integer({ min: 0, max: 0xffffffff }),
);

export const int32Arb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, -1, -(2 ** 31), 2 ** 31 - 1),
  fc.integer({ min: -100, max: 100 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);

const YEAR_S = 365 * 24 * 3600;
export const durationArb: fc.Arbitrary<Duration> = fc.record({
  seconds: fc.oneof(
    fc.constantFrom(0, 1, -1, YEAR_S, YEAR_S + 1, 2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
    fc.integer({ min: -5, max: 60 }),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  ),
  nanos: fc.oneof(fc.constantFrom(0, 1, -1, 999_999_999, 1_000_000_000, -(2 ** 31), 2 ** 31 - 1), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
});

/** Any Date a Timestamp can carry in milliseconds, from the far past to the far future. */
export const dateArb: fc.Arbitrary<Date> = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }),
  fc.integer({ min: -60_000, max: 60_000 }).map((offsetMs) => new Date(Date.UTC(2026, 0, 1) + offsetMs)),
);

const doubleArb = fc.oneof(fc.constantFrom(0, 0.5, 1, 2, 100, 100.5, -1), fc.double());

export const retryPolicyArb: fc.Arbitrary<RetryPolicy> = fc.record(
  {
    initialBackoff: durationArb,
    multiplier: doubleArb,
    maxBackoff: durationArb,
    jitter: doubleArb,
    maxInfrastructureFailures: uint32Arb,
  },
  { requiredKeys: [] },
);

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'traceparent', 'tracestate', ''];
const mapKeyArb = fc.oneof(fc.constantFrom(...DANGEROUS_KEYS), fc.string({ maxLength: 12 }), fc.constant('k'.repeat(257)));
const mapValueArb = fc.oneof(fc.string({ maxLength: 20 }), fc.constant('v'.repeat(257)), anyString);
export const stringMapArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 8, arbitrary: fc.dictionary(mapKeyArb, mapValueArb, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 4 }), { minKeys: 60, maxKeys: 70 }) },
);

const payloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom(4096, 4097, 70_000).map((size) => Buffer.alloc(size, 0x61)) },
);

const contentTypeArb = fc.oneof(
  fc.constantFrom('', 'application/json', 'text/plain; charset=utf-8', 'application/x.y+z', 'not a mime', `a/b;${'x'.repeat(200)}`),
  anyString,
);

const idempotencyKeyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  // A handful of shared keys: the same key arrives concurrently and later, from single and batch submits.
  { weight: 2, arbitrary: fc.constantFrom('fz-key-1', 'fz-key-2', 'fz-key-3') },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(256), 'k'.repeat(257)) },
  { weight: 1, arbitrary: anyString },
);

/** Past validation most of the time: tasks get made, leased, canceled and retried. */
const plausibleSubmitArb: fc.Arbitrary<SubmitTaskRequest> = fc.record(
  {
    queue: fc.constantFrom('', 'default', ...WORKER_QUEUES, 'fz-q'),
    type: fc.constantFrom('noop', 'fz', 'A1_b.c:d/e-f'),
    payload: fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
    contentType: fc.constantFrom('', 'application/json', 'text/plain'),
    priority: fc.integer({ min: -10, max: 10 }),
    delay: fc.record({ seconds: fc.integer({ min: 0, max: 1 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) }),
    maxAttempts: fc.integer({ min: 0, max: 5 }),
    retry: fc.record(
      { initialBackoff: fc.record({ seconds: fc.constant(0), nanos: fc.integer({ min: 0, max: 50_000_000 }) }), multiplier: fc.double({ min: 1, max: 3, noNaN: true }), jitter: fc.double({ min: 0, max: 1, noNaN: true }), maxInfrastructureFailures: fc.integer({ min: 0, max: 3 }) },
      { requiredKeys: [] },
    ),
    timeout: fc.record({ seconds: fc.constant(0), nanos: fc.integer({ min: 0, max: 500_000_000 }) }),
    idempotencyKey: idempotencyKeyArb,
    labels: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    traceContext: fc.constant({}),
    fairnessKey: fc.constantFrom('', '', 'tenant-a', 'tenant-b'),
  },
  { requiredKeys: ['queue', 'type', 'payload', 'contentType', 'priority', 'maxAttempts', 'idempotencyKey', 'labels', 'traceContext', 'fairnessKey'] },
);

const wildSubmitArb: fc.Arbitrary<SubmitTaskRequest> = fc.record(
  {
    queue: fc.oneof(fc.constant(''), nameArb),
    type: nameArb,
    payload: payloadArb,
    contentType: contentTypeArb,
    priority: int32Arb,
    delay: durationArb,
    runAt: dateArb,
    maxAttempts: uint32Arb,
    retry: retryPolicyArb,
    timeout: durationArb,
    idempotencyKey: idempotencyKeyArb,
    labels: stringMapArb,
    traceContext: stringMapArb,
    fairnessKey: fc.oneof(fc.constant(''), anyString),
  },
  { requiredKeys: ['queue', 'type', 'payload', 'contentType', 'priority', 'maxAttempts', 'idempotencyKey', 'labels', 'traceContext', 'fairnessKey'] },
);

export const submitTaskRequestArb: fc.Arbitrary<SubmitTaskRequest> = fc.oneof(plausibleSubmitArb, wildSubmitArb);

/** Invalid on its own (no type), so that no mutation of the over-limit batch commits ten thousand tasks. */
const UNTYPED_SUBMIT: SubmitTaskRequest = {
  queue: 'fz-q', type: '', payload: Buffer.alloc(0), contentType: '', priority: 0, maxAttempts: 1, idempotencyKey: '', labels: {}, traceContext: {}, fairnessKey: '',
};

export const submitTasksRequestArb: fc.Arbitrary<SubmitTasksRequest> = fc.oneof(
  { weight: 60, arbitrary: fc.record({ tasks: fc.array(submitTaskRequestArb, { maxLength: 8 }) }) },
  // Just past the documented batch limit; the encoding stays small because each entry is.
  { weight: 1, arbitrary: fc.constant({ tasks: Array.from({ length: 10_001 }, () => UNTYPED_SUBMIT) }) },
);

/** A task id: usually one the coordinator made, else the edges of the id check. */
export const taskIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((i) => ref('task', i)) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('', '0', 'x'.repeat(64), 'x'.repeat(65), '01234567-89ab-7def-8123-456789abcdef', "' OR 1=1 --") },
  { weight: 2, arbitrary: anyString },
);

export const getTaskRequestArb: fc.Arbitrary<GetTaskRequest> = fc.record({ id: taskIdArb });
export const watchTaskRequestArb: fc.Arbitrary<WatchTaskRequest> = fc.record({ id: taskIdArb });
export const cancelTaskRequestArb: fc.Arbitrary<CancelTaskRequest> = fc.record({ id: taskIdArb });
export const retryTaskRequestArb: fc.Arbitrary<RetryTaskRequest> = fc.record({ id: taskIdArb });
export const getStatsRequestArb: fc.Arbitrary<GetStatsRequest> = fc.record({ history: fc.boolean() });

export const listTasksRequestArb: fc.Arbitrary<ListTasksRequest> = fc.record({
  queue: fc.oneof(fc.constant(''), nameArb),
  // Proto3 enums are open: any int32 is a valid encoding of the field.
  state: fc.oneof(fc.integer({ min: 0, max: 6 }), int32Arb).map((value) => value as TaskState),
  type: fc.oneof(fc.constant(''), nameArb),
  pageSize: fc.oneof(fc.constantFrom(0, 1, 2, 100, 1000, 1001), uint32Arb),
  pageToken: fc.oneof(
    fc.constant(''),
    fc.nat().map((i) => ref('token', i)),
    fc.uuid().map((id) => Buffer.from(id).toString('base64url')),
    anyString,
  ),
  schedule: fc.oneof(fc.constant(''), nameArb, anyString),
  createdAfter: fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
  createdBefore: fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
});

export const sessionIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map((i) => ref('session', i)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(1000)) },
  { weight: 1, arbitrary: anyString },
);

export const workerIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.nat().map((i) => ref('worker', i)) },
  { weight: 3, arbitrary: nameArb },
);

export const keepAliveRequestArb: fc.Arbitrary<KeepAliveRequest> = fc.record({ workerId: workerIdArb, sessionId: sessionIdArb });

export const leaseIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map((i) => ref('lease', i)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(5000)) },
  { weight: 1, arbitrary: anyString },
);

/** Lease id lists: usually short, sometimes far past concurrency + 64. */
export const leaseIdListArb: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.array(leaseIdArb, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => madeUpLeaseId(0, i))) },
);

export const helloArb: fc.Arbitrary<Hello> = fc.record({
  workerId: workerIdArb,
  queues: fc.oneof(fc.constant<string[]>([]), fc.array(nameArb, { maxLength: 4 }), fc.constant(Array.from({ length: 2000 }, (_, i) => `q${i}`))),
  taskTypes: fc.array(nameArb, { maxLength: 3 }),
  concurrency: uint32Arb,
  heldLeaseIds: leaseIdListArb,
  resumeSecret: fc.oneof(fc.constant(''), anyString),
});

export const taskResultArb: fc.Arbitrary<TaskResult> = fc.record(
  {
    leaseId: leaseIdArb,
    outcome: fc.oneof(
      fc.record({
        $case: fc.constant('success' as const),
        value: fc.record({ result: payloadArb, contentType: contentTypeArb }),
      }),
      fc.record({
        $case: fc.constant('failure' as const),
        value: fc.record({ message: anyString, nonRetryable: fc.boolean(), errorType: anyString }),
      }),
    ),
  },
  { requiredKeys: ['leaseId'] },
);

export const connectRequestArb: fc.Arbitrary<ConnectRequest> = fc.oneof(
  { weight: 4, arbitrary: helloArb.map((value): ConnectRequest => ({ message: { $case: 'hello', value } })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ leaseIds: leaseIdListArb, leasesReceived: uint32Arb })
      .map((value): ConnectRequest => ({ message: { $case: 'heartbeat', value } })),
  },
  { weight: 2, arbitrary: uint32Arb.map((slots): ConnectRequest => ({ message: { $case: 'credit', value: { slots } } })) },
  {
    weight: 2,
    arbitrary: fc.array(taskResultArb, { maxLength: 5 }).map((results): ConnectRequest => ({ message: { $case: 'results', value: { results } } })),
  },
  { weight: 1, arbitrary: fc.constant<ConnectRequest>({ message: { $case: 'drain', value: {} } }) },
  { weight: 1, arbitrary: fc.constant<ConnectRequest>({ message: undefined }) },
);
