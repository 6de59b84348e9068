/**
 * Arbitraries for area 2: interleavings of worker-protocol messages over a few Connect
 * streams at once. Ids are choices ("a lease another stream received", "this stream's
 * resume secret") resolved when the step runs, because only then do they exist.
 */
import fc from 'fast-check';
import { anyString, nameArb, uint32Arb, WORKER_QUEUES } from './message-arbitraries';

/** Whose worker id a Hello uses. `shared` is one id every scenario may use, so sessions collide across scenarios too. */
export type WorkerIdChoice =
  | { readonly of: 'own' }
  | { readonly of: 'stream'; readonly stream: number }
  | { readonly of: 'shared' }
  | { readonly of: 'literal'; readonly value: string };

/** Which lease id a message names. */
export type LeaseChoice =
  | { readonly of: 'own'; readonly index: number }
  | { readonly of: 'stream'; readonly stream: number; readonly index: number }
  | { readonly of: 'global'; readonly index: number }
  | { readonly of: 'made-up'; readonly index: number }
  | { readonly of: 'unknown'; readonly value: string };

export type SecretChoice = { readonly of: 'none' } | { readonly of: 'own' } | { readonly of: 'stream'; readonly stream: number } | { readonly of: 'random'; readonly value: string };

export type ResultOutcome = 'success' | 'failure' | 'non-retryable' | 'none';

export type StreamAction =
  | {
      readonly kind: 'hello';
      readonly workerId: WorkerIdChoice;
      readonly queues: readonly string[];
      readonly concurrency: number;
      readonly held: readonly LeaseChoice[];
      readonly secret: SecretChoice;
      /** Reconnect as that stream's worker: its worker id and secret, holding every lease it received (plus `held`). */
      readonly inherit?: number;
    }
  | { readonly kind: 'heartbeat'; readonly leases: readonly LeaseChoice[]; readonly padding: number; readonly received: number | 'actual' }
  | { readonly kind: 'credit'; readonly slots: number }
  | { readonly kind: 'results'; readonly results: ReadonlyArray<{ readonly lease: LeaseChoice; readonly outcome: ResultOutcome; readonly resultBytes: number }> }
  | { readonly kind: 'drain' }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array }
  | { readonly kind: 'empty' }
  | { readonly kind: 'half-close' }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'keep-alive'; readonly session: 'own' | 'other' | 'random'; readonly worker: WorkerIdChoice }
  | { readonly kind: 'pause'; readonly ms: number };

export interface ScenarioStep {
  readonly stream: number;
  readonly action: StreamAction;
}

export interface Scenario {
  readonly streams: number;
  readonly steps: readonly ScenarioStep[];
}

const MAX_STREAMS = 4;
const streamIndex = fc.nat({ max: MAX_STREAMS - 1 });

const workerIdChoice: fc.Arbitrary<WorkerIdChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ of: 'own' as const }) },
  { weight: 3, arbitrary: fc.record({ of: fc.constant('stream' as const), stream: streamIndex }) },
  { weight: 1, arbitrary: fc.constant({ of: 'shared' as const }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('literal' as const), value: nameArb }) },
);

const leaseChoice: fc.Arbitrary<LeaseChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ of: fc.constant('own' as const), index: fc.nat({ max: 64 }) }) },
  { weight: 3, arbitrary: fc.record({ of: fc.constant('stream' as const), stream: streamIndex, index: fc.nat({ max: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('global' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('made-up' as const), index: fc.nat({ max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('unknown' as const), value: fc.oneof(fc.uuid(), fc.constant(''), anyString) }) },
);

const secretChoice: fc.Arbitrary<SecretChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ of: 'none' as const }) },
  { weight: 3, arbitrary: fc.constant({ of: 'own' as const }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('stream' as const), stream: streamIndex }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('random' as const), value: anyString }) },
);

const helloAction = fc.record({
  kind: fc.constant('hello' as const),
  workerId: workerIdChoice,
  queues: fc.oneof(
    { weight: 6, arbitrary: fc.subarray([...WORKER_QUEUES], { minLength: 1 }) },
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.array(nameArb, { maxLength: 3 }) },
  ),
  concurrency: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: uint32Arb }),
  held: fc.oneof(
    { weight: 6, arbitrary: fc.array(leaseChoice, { maxLength: 4 }) },
    // Far past concurrency + 64: the documented limit.
    { weight: 1, arbitrary: fc.integer({ min: 70, max: 300 }).map((n) => Array.from({ length: n }, (_, i): LeaseChoice => ({ of: 'made-up', index: i }))) },
  ),
  secret: secretChoice,
});

const heartbeatAction = fc.record({
  kind: fc.constant('heartbeat' as const),
  leases: fc.array(leaseChoice, { maxLength: 6 }),
  // Extra made-up ids; large values go far past concurrency + 64.
  padding: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 20_000 }) }),
  received: fc.oneof({ weight: 4, arbitrary: fc.constant('actual' as const) }, { weight: 1, arbitrary: uint32Arb }),
});

const creditAction = fc.record({
  kind: fc.constant('credit' as const),
  slots: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 2, arbitrary: fc.constantFrom(0, 10_000, 10_001, 2 ** 31, 2 ** 32 - 1) }),
});

const resultsAction = fc.record({
  kind: fc.constant('results' as const),
  results: fc.array(
    fc.record({
      lease: leaseChoice,
      outcome: fc.constantFrom<ResultOutcome>('success', 'success', 'failure', 'non-retryable', 'none'),
      resultBytes: fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(4096, 4097) }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

const action: fc.Arbitrary<StreamAction> = fc.oneof(
  { weight: 5, arbitrary: helloAction },
  { weight: 4, arbitrary: heartbeatAction },
  { weight: 3, arbitrary: creditAction },
  { weight: 5, arbitrary: resultsAction },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'half-close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('keep-alive' as const), session: fc.constantFrom('own' as const, 'other' as const, 'random' as const), worker: workerIdChoice }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })) }) },
);

/**
 * Well-behaved steps: valid ids, credit and outcomes, so that streams live long enough to
 * get leases, report results, reconnect with (or without) their secret and reclaim.
 */
const ownOrOthers: fc.Arbitrary<LeaseChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ of: fc.constant('own' as const), index: fc.nat({ max: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('stream' as const), stream: streamIndex, index: fc.nat({ max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('made-up' as const), index: fc.nat({ max: 1000 }) }) },
);

const politeHello: fc.Arbitrary<Extract<StreamAction, { kind: 'hello' }>> = fc.record({
  kind: fc.constant('hello' as const),
  workerId: fc.oneof({ weight: 4, arbitrary: fc.constant({ of: 'own' as const }) }, { weight: 3, arbitrary: fc.record({ of: fc.constant('stream' as const), stream: streamIndex }) }),
  queues: fc.subarray([...WORKER_QUEUES], { minLength: 1 }),
  concurrency: fc.integer({ min: 1, max: 8 }),
  held: fc.array(ownOrOthers, { maxLength: 4 }),
  secret: fc.oneof(fc.constant({ of: 'own' as const }), fc.constant({ of: 'none' as const }), fc.record({ of: fc.constant('stream' as const), stream: streamIndex })),
  inherit: fc.option(streamIndex, { nil: undefined, freq: 2 }),
}, { requiredKeys: ['kind', 'workerId', 'queues', 'concurrency', 'held', 'secret'] });

const politeAction: fc.Arbitrary<StreamAction> = fc.oneof(
  { weight: 2, arbitrary: politeHello },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), leases: fc.array(ownOrOthers, { maxLength: 4 }), padding: fc.constant(0), received: fc.constant('actual' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('credit' as const), slots: fc.integer({ min: 1, max: 4 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('results' as const),
      results: fc.array(fc.record({ lease: ownOrOthers, outcome: fc.constantFrom<ResultOutcome>('success', 'failure', 'non-retryable'), resultBytes: fc.nat({ max: 64 }) }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'half-close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
);

function scenarioOf(opener: fc.Arbitrary<StreamAction>, stepAction: fc.Arbitrary<StreamAction>): fc.Arbitrary<Scenario> {
  return fc
    .record({
      streams: fc.integer({ min: 1, max: MAX_STREAMS }),
      openers: fc.array(opener, { minLength: MAX_STREAMS, maxLength: MAX_STREAMS }),
      steps: fc.array(fc.record({ stream: streamIndex, action: stepAction }), { minLength: 1, maxLength: 24 }),
    })
    .map(({ streams, openers, steps }) => ({
      streams,
      steps: [
        ...openers.slice(0, streams).map((action, stream): ScenarioStep => ({ stream, action })),
        ...steps.map((s): ScenarioStep => ({ stream: s.stream % streams, action: s.action })),
      ],
    }));
}

/**
 * A worker that gets leases, drops its stream and reconnects on another one: with its
 * secret (it must reclaim), with none or another's (it must not), while or after the old
 * stream closes. Random steps rarely line all of that up.
 */
const reconnectScenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    first: politeHello,
    waitMs: fc.integer({ min: 10, max: 60 }),
    report: fc.option(fc.record({ kind: fc.constant('results' as const), results: fc.array(fc.record({ lease: fc.record({ of: fc.constant('own' as const), index: fc.nat({ max: 8 }) }), outcome: fc.constantFrom<ResultOutcome>('success', 'failure'), resultBytes: fc.nat({ max: 16 }) }), { minLength: 1, maxLength: 2 }) }), { nil: undefined }),
    close: fc.constantFrom('half-close' as const, 'cancel' as const, 'none' as const),
    gapMs: fc.integer({ min: 0, max: 40 }),
    secret: fc.constantFrom<SecretChoice>({ of: 'stream', stream: 0 }, { of: 'stream', stream: 0 }, { of: 'none' }, { of: 'stream', stream: 2 }),
    rest: fc.array(fc.record({ stream: fc.nat({ max: 2 }), action: politeAction }), { maxLength: 10 }),
  })
  .map(({ first, waitMs, report, close, gapMs, secret, rest }): Scenario => {
    const steps: ScenarioStep[] = [
      { stream: 0, action: { ...first, workerId: { of: 'own' }, inherit: undefined } },
      { stream: 2, action: { ...first, workerId: { of: 'own' }, inherit: undefined } },
      { stream: 0, action: { kind: 'pause', ms: waitMs } },
    ];
    if (report) steps.push({ stream: 0, action: report });
    if (close !== 'none') steps.push({ stream: 0, action: { kind: close } });
    steps.push({ stream: 1, action: { kind: 'pause', ms: gapMs } });
    steps.push({ stream: 1, action: { ...first, workerId: { of: 'stream', stream: 0 }, secret, inherit: secret.of === 'stream' && secret.stream === 0 ? 0 : undefined, held: [{ of: 'stream', stream: 0, index: 0 }, { of: 'stream', stream: 0, index: 1 }] } });
    steps.push(...rest);
    return { streams: 3, steps };
  });

/** Hostile (anything goes, streams start with a Hello most of the time), polite, and reconnecting. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc.oneof(
  { weight: 4, arbitrary: scenarioOf(fc.oneof({ weight: 5, arbitrary: helloAction }, { weight: 1, arbitrary: action }), action) },
  { weight: 3, arbitrary: scenarioOf(politeHello, politeAction) },
  { weight: 2, arbitrary: reconnectScenarioArb },
);
