/**
 * Fuzzing against one real coordinator (spawned from dist/: `make build` first), in five
 * areas that run in order and share what they learn (task, lease and session ids):
 *
 * 1. random, mutated and garbage messages on every RPC of both services (message-fuzz.ts);
 * 2. random worker-protocol sequences on Connect, while legit tasks run (protocol-fuzz.ts);
 * 3. raw garbage on the gRPC and HTTP ports (raw-socket-fuzz.ts);
 * 4. random and mutated requests on every route of the HTTP/JSON API (http-json-fuzz.ts);
 * 5. the state afterwards: alive, serving, every task legal, every acknowledged task kept,
 *    memory back down (final-invariants.ts).
 *
 * Run: `npx mocha 'test/fuzz/**\/*.test.ts'`; `FUZZ_RUNS=10` for ten times the volume,
 * `FUZZ_SEED=n` to replay a run's inputs, `FUZZ_ONLY=text` for the properties whose name
 * contains it (fuzz-config.ts). Every violation is printed at the end with the fast-check
 * seed and path of its shrunk case. Generation is deterministic for a seed; what the
 * coordinator answers (ids, timing) is not, so a protocol sequence may need a few runs.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ProcessGroup, startCoordinator } from '../support/processes';
import { readFuzzConfig, type FuzzConfig } from './fuzz-config';
import type { FuzzContext } from './fuzz-context';
import { FuzzReport, type Finding } from './fuzz-report';
import { KnownIds } from './known-ids';
import { fuzzMessages } from './message-fuzz';
import { fuzzWorkerProtocol } from './protocol-fuzz';
import { fuzzRawSockets } from './raw-socket-fuzz';
import { fuzzHttpJson } from './http-json-fuzz';
import { withoutStackTraces } from './property-runner';
import { checkAcceptedPresent, checkFullRecords, checkLogs, checkServes, checkTask, listEverything, rssBytes, rssSettles } from './final-invariants';
import { RawGrpcClient } from '../support/raw-grpc-client';

/** How far above its start the coordinator's RSS may stay once the fuzzing is over. */
const RSS_GROWTH_LIMIT_BYTES = 150 * 1024 * 1024;
/** V8 gives memory back only after a while idle (its memory reducer): about half a minute was seen. */
const RSS_SETTLE_MS = 60_000;
const MB = 1024 * 1024;

const MAX_PAYLOAD_BYTES = 4096;
/**
 * Short lease and retry windows, so that expiry, orphaning and retries happen within the
 * run; a small payload limit, so that random sizes reach it.
 */
const COORDINATOR_ARGS = [
  '--heartbeat-interval', '200ms',
  '--lease-timeout', '2s',
  '--retry-initial-backoff', '10ms',
  '--retry-max-backoff', '200ms',
  '--max-payload-bytes', String(MAX_PAYLOAD_BYTES),
];

describe('fuzzing one coordinator', function () {
  const config: FuzzConfig = readFuzzConfig();
  const group = new ProcessGroup();
  const report = new FuzzReport();
  let ctx: FuzzContext;
  let startRssBytes = 0;
  const timed = async <T>(area: string, work: () => Promise<T>): Promise<T> => {
    const startedAtMs = Date.now();
    const casesBefore = report.cases;
    try {
      return await work();
    } finally {
      console.log(`fuzz: ${area}: ${report.cases - casesBefore} cases in ${((Date.now() - startedAtMs) / 1000).toFixed(1)}s`);
    }
  };
  const violationsOf = (area: string): string[] => report.violations.filter((v) => v.property.startsWith(area)).map((v) => v.summary);
  const areaTimeoutMs = (defaultMs: number): number => Math.max(60_000, defaultMs * config.multiplier * 2);

  before(async function () {
    this.timeout(30_000);
    console.log(`fuzz: FUZZ_SEED=${config.seed} FUZZ_RUNS=${config.multiplier}${config.only ? ` FUZZ_ONLY=${config.only}` : ''}`);
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-fuzz-'), 'data'), args: COORDINATOR_ARGS });
    ctx = {
      config,
      coordinator,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      raw: new RawGrpcClient(coordinator.address),
      report,
      ids: new KnownIds(),
      accepted: new Set(),
      known: new Set(),
    };
    startRssBytes = rssBytes(coordinator.process.pid);
  });

  after(async function () {
    this.timeout(30_000);
    ctx?.raw.close();
    await group.cleanup();
    console.log(report.summary());
    const all = report.describeViolations();
    if (all) console.log(`fuzz: every violation found, with its seed and smallest input (FUZZ_SEED=${config.seed}):\n${all}`);
  });

  it('answers random, mutated and garbage messages on every RPC with a deliberate status', async function () {
    this.timeout(areaTimeoutMs(60_000));
    await timed('messages', () => withoutStackTraces(() => fuzzMessages(ctx)));
    console.log(`fuzz: answers to messages\n${report.table((row) => row.startsWith('messages'))}`);
    expect(violationsOf('messages')).to.deep.equal([]);
  });

  it('survives random worker-protocol sequences on Connect while legit tasks run', async function () {
    this.timeout(areaTimeoutMs(40_000));
    const legit = await timed('protocol', () => withoutStackTraces(() => fuzzWorkerProtocol(ctx)));
    for (const finding of legit.findings) report.violation('protocol legit traffic', finding, 'timing-dependent; rerun with the same FUZZ_SEED');
    console.log(`fuzz: answers in protocol sequences\n${report.table((row) => row.startsWith('protocol') || row.startsWith('legit'))}`);
    expect(ctx.coordinator.process.alive, 'coordinator alive').to.equal(true);
    expect(violationsOf('protocol')).to.deep.equal([]);
  });

  it('survives raw garbage on its gRPC and HTTP ports', async function () {
    this.timeout(areaTimeoutMs(30_000));
    await timed('garbage', () => withoutStackTraces(() => fuzzRawSockets(ctx)));
    console.log(`fuzz: raw connections\n${report.table((row) => row.startsWith('garbage'))}`);
    expect(ctx.coordinator.process.alive, 'coordinator alive').to.equal(true);
    expect(violationsOf('garbage')).to.deep.equal([]);
  });

  it('answers random and mutated requests on every HTTP/JSON route with a deliberate status and a JSON error', async function () {
    this.timeout(areaTimeoutMs(40_000));
    await timed('http', () => withoutStackTraces(() => fuzzHttpJson(ctx)));
    console.log(`fuzz: HTTP/JSON answers\n${report.table((row) => row.startsWith('http'))}`);
    expect(ctx.coordinator.process.alive, 'coordinator alive').to.equal(true);
    expect(violationsOf('http')).to.deep.equal([]);
  });

  it('is still alive and serving, with every task legal and every acknowledged task kept, and its memory back down', async function () {
    this.timeout(areaTimeoutMs(60_000) + RSS_SETTLE_MS);
    const record = (findings: readonly Finding[]): void => {
      for (const f of findings) report.violation('final state', f, `after the whole run with FUZZ_SEED=${config.seed}`);
    };
    record(await checkServes(ctx));
    if (ctx.coordinator.process.alive) {
      const { tasks, findings } = await listEverything(ctx);
      record(findings);
      record(tasks.flatMap((task) => checkTask(task, false)));
      record(checkAcceptedPresent(ctx, tasks));
      record(await checkFullRecords(ctx, tasks));
      const endRss = await rssSettles(ctx.coordinator.process.pid, startRssBytes + RSS_GROWTH_LIMIT_BYTES, RSS_SETTLE_MS);
      console.log(`fuzz: ${tasks.length} tasks listed, ${ctx.accepted.size} acknowledged; coordinator RSS ${(startRssBytes / MB).toFixed(0)} MB at start, ${(endRss / MB).toFixed(0)} MB at the end`);
      if (endRss > startRssBytes + RSS_GROWTH_LIMIT_BYTES) {
        record([{ signature: 'final: memory', summary: `coordinator RSS stayed at ${(endRss / MB).toFixed(0)} MB, ${((endRss - startRssBytes) / MB).toFixed(0)} MB over its start, for ${RSS_SETTLE_MS / 1000}s`, input: '' }]);
      }
    }
    record(checkLogs(ctx));
    expect(violationsOf('final')).to.deep.equal([]);
  });
});
