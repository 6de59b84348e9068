import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonClient } from '../../client/index';
import { startOtlpReceiver, type OtlpProtocol, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { BatonProcess, ProcessGroup, REPO_ROOT, spawnBaton, startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';

const TRACED_HANDLERS = join(REPO_ROOT, 'test', 'fixtures', 'traced-handlers.cjs');

/** Every OTEL_* variable a test sets, so that the runner's own environment cannot leak in. */
const NO_OTEL: Record<string, string> = {
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_PROTOCOL: '',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
  OTEL_TRACES_EXPORTER: '',
  OTEL_SDK_DISABLED: '',
  OTEL_SERVICE_NAME: '',
  OTEL_RESOURCE_ATTRIBUTES: '',
  OTEL_TRACES_SAMPLER: '',
};

/** Preloads test/fixtures/record-otel-sdk-loads.cjs, which lists in `file` the OpenTelemetry SDK modules loaded. */
function recordSdkLoads(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${join(REPO_ROOT, 'test', 'fixtures', 'record-otel-sdk-loads.cjs')}`, BATON_TEST_OTEL_LOADS: file };
}

function otlpEnv(endpoint: string, protocol: OtlpProtocol): Record<string, string> {
  // A short export delay: spans reach the receiver in tens of milliseconds, not seconds.
  return { ...NO_OTEL, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '50' };
}

interface System {
  readonly coordinator: CoordinatorHandle;
  readonly worker: BatonProcess;
}

async function startSystem(group: ProcessGroup, env: Record<string, string>): Promise<System> {
  // A 10 ms retry backoff: the second attempt follows the first at once.
  const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--retry-initial-backoff', '10ms', '--retry-jitter', '0'], env });
  const worker = await startWorker(group, coordinator.address, { module: TRACED_HANDLERS, env });
  return { coordinator, worker };
}

/** `baton submit TYPE --wait` as a user would run it; resolves with its exit code and output. */
async function submitAndWait(group: ProcessGroup, address: string, type: string, env: Record<string, string>): Promise<{ code: number | null; task: { id: string; state: string } }> {
  const cli = group.add(spawnBaton(['submit', type, '{}', '--wait', '--wait-timeout', '30s', '--json', '--coordinator', address], 'cli', env));
  const { code } = await cli.exited;
  const output = cli.lines.map((line) => JSON.stringify(line)).join('\n');
  const task = cli.lines.find((line) => typeof line.id === 'string') as unknown as { id: string; state: string } | undefined;
  if (!task) throw new Error(`baton submit printed no task (exit ${code}): ${output} ${cli.stderrText.join('')}`);
  return { code, task };
}

const service = (span: ReceivedSpan): unknown => span.resource['service.name'];
const named = (spans: readonly ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((span) => span.name === name);

/**
 * The spans one task must leave: the CLI's submit, two attempts on the coordinator and on
 * the worker (the first failed), and the handler's own span in each attempt.
 */
function taskTraceComplete(spans: readonly ReceivedSpan[]): boolean {
  return (
    named(spans, 'send default').length === 1 &&
    named(spans, 'process default').length === 2 &&
    named(spans, 'receive default').length === 2 &&
    named(spans, 'fixture.work').length === 2 &&
    spans.some((span) => span.name === 'grpc.baton.v1.TaskQueue/SubmitTask' && span.kind === 'SERVER')
  );
}

function checkTaskTrace(spans: readonly ReceivedSpan[], taskId: string): void {
  const [send] = named(spans, 'send default');
  if (!send) throw new Error('no send span');
  const trace = spans.filter((span) => span.traceId === send.traceId);
  const byId = new Map(trace.map((span) => [span.spanId, span]));
  const parentOf = (span: ReceivedSpan): ReceivedSpan | undefined => byId.get(span.parentSpanId);

  // One trace across the three services, rooted at the submit.
  expect(send.parentSpanId).to.equal('');
  expect(send.kind).to.equal('PRODUCER');
  expect(service(send)).to.equal('baton-cli');
  expect(new Set(trace.map(service))).to.deep.equal(new Set(['baton-cli', 'baton-coordinator', 'baton-worker']));
  // No process exports its command line: a CLI's holds payloads (and a --token would be there).
  for (const span of trace) {
    expect(span.resource, span.name).to.not.have.any.keys('process.command_args', 'process.command', 'process.command_line');
    expect(span.resource['process.pid'], span.name).to.be.a('number');
  }
  for (const span of trace.filter((s) => s !== send)) {
    expect(byId.has(span.parentSpanId), `${span.name} (${String(service(span))}) has its parent in the trace`).to.equal(true);
  }
  expect(send.attributes).to.include({
    'messaging.system': 'baton',
    'messaging.operation.type': 'send',
    'messaging.destination.name': 'default',
    'messaging.message.id': taskId,
    'baton.task.type': 'traced.flaky',
  });

  // The worker's attempts: CONSUMER children of the submit, the first failed.
  const attempts = named(trace, 'process default').sort((a, b) => Number(a.attributes['baton.attempt']) - Number(b.attributes['baton.attempt']));
  expect(attempts.map((span) => span.attributes['baton.attempt'])).to.deep.equal([1, 2]);
  for (const attempt of attempts) {
    expect(service(attempt)).to.equal('baton-worker');
    expect(attempt.kind).to.equal('CONSUMER');
    expect(attempt.parentSpanId).to.equal(send.spanId);
    expect(attempt.attributes).to.include({ 'messaging.system': 'baton', 'messaging.operation.type': 'process', 'messaging.message.id': taskId, 'baton.task.type': 'traced.flaky' });
  }
  const [failed, succeeded] = attempts as [ReceivedSpan, ReceivedSpan];
  expect(failed.status).to.deep.equal({ code: 'ERROR', message: 'the first attempt fails on purpose' });
  expect(failed.attributes['baton.outcome']).to.equal('failed');
  expect(failed.events.map((event) => event.name)).to.include('exception');
  expect(succeeded.status.code).to.not.equal('ERROR');
  expect(succeeded.attributes['baton.outcome']).to.equal('succeeded');
  expect(succeeded.events.map((event) => event.name)).to.include('fixture.checkpoint');

  // The handler's own spans, each nested under its attempt.
  const own = named(trace, 'fixture.work');
  expect(own.map((span) => parentOf(span)?.spanId).sort()).to.deep.equal(attempts.map((span) => span.spanId).sort());
  for (const span of own) expect(span.attributes['fixture.attempt']).to.equal(parentOf(span)?.attributes['baton.attempt']);

  // The coordinator's attempt spans: lease to result, children of the submit, with queue wait.
  const receives = named(trace, 'receive default').sort((a, b) => Number(a.attributes['baton.attempt']) - Number(b.attributes['baton.attempt']));
  expect(receives.map((span) => [service(span), span.parentSpanId, span.attributes['baton.outcome']])).to.deep.equal([
    ['baton-coordinator', send.spanId, 'failed'],
    ['baton-coordinator', send.spanId, 'succeeded'],
  ]);
  expect(receives[0]?.status.code).to.equal('ERROR');
  for (const receive of receives) expect(receive.attributes['baton.queue_wait_ms']).to.be.a('number');
  for (const receive of receives) expect(receive.events.map((event) => event.name)).to.deep.equal(['baton.result_received']);

  // gRPC spans of the submit, under Baton's: client call inside the send span, server under it; no duplicates.
  const grpcClient = trace.filter((span) => span.name === 'grpc.baton.v1.TaskQueue/SubmitTask' && span.kind === 'CLIENT');
  const grpcServer = trace.filter((span) => span.name === 'grpc.baton.v1.TaskQueue/SubmitTask' && span.kind === 'SERVER');
  expect(grpcClient.map((span) => span.parentSpanId)).to.deep.equal([send.spanId]);
  expect(grpcServer.map((span) => span.parentSpanId)).to.deep.equal(grpcClient.map((span) => span.spanId));
  expect(named(trace, 'send default')).to.have.length(1);
  // The worker's stream is left to Baton's spans: no hours-long Connect span.
  expect(spans.filter((span) => /WorkerService\/(Connect|KeepAlive)/.test(span.name))).to.deep.equal([]);
}

describe('tracing: one trace from submit to every attempt (real processes, OTLP)', function () {
  this.timeout(60_000);
  const group = new ProcessGroup();
  const receivers: OtlpReceiver[] = [];
  after(async () => {
    await group.cleanup();
    for (const receiver of receivers) await receiver.close();
  });

  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
    it(`exports a task that fails once then succeeds as one trace over ${protocol}`, async () => {
      const receiver = await startOtlpReceiver(protocol);
      receivers.push(receiver);
      const env = otlpEnv(receiver.endpoint, protocol);
      const { coordinator } = await startSystem(group, env);
      const { code, task } = await submitAndWait(group, coordinator.address, 'traced.flaky', env);
      expect(code).to.equal(0);
      expect(task.state).to.equal('succeeded');
      const spans = await receiver.waitForSpans(taskTraceComplete, 20_000);
      checkTaskTrace(spans, task.id);
      expect(receiver.errors).to.deep.equal([]);
      await group.cleanup();
    });
  }

  it('gives a task from a client without OpenTelemetry the trace of the call that submitted it', async () => {
    const receiver = await startOtlpReceiver('http/protobuf');
    receivers.push(receiver);
    const env = otlpEnv(receiver.endpoint, 'http/protobuf');
    const { coordinator } = await startSystem(group, env);
    // This test process registers no SDK: the submit carries no trace context at all.
    const client = new BatonClient({ address: coordinator.address });
    let traceparent: string | undefined;
    try {
      const { task } = await client.submit('traced.flaky', {});
      traceparent = task.traceContext.traceparent; // the coordinator's, since the client sent none
      await client.wait(task.id, { timeoutMs: 30_000 });
    } finally {
      client.close();
    }
    const spans = await receiver.waitForSpans((all) => named(all, 'process default').length === 2 && named(all, 'receive default').length === 2, 20_000);
    const [server] = spans.filter((span) => span.name === 'grpc.baton.v1.TaskQueue/SubmitTask' && span.kind === 'SERVER');
    expect(server?.parentSpanId).to.equal('');
    expect(traceparent).to.equal(`00-${server?.traceId}-${server?.spanId}-01`);
    expect(service(server as ReceivedSpan)).to.equal('baton-coordinator');
    for (const span of [...named(spans, 'process default'), ...named(spans, 'receive default')]) {
      expect(span.traceId).to.equal(server?.traceId);
      expect(span.parentSpanId).to.equal(server?.spanId);
    }
    await group.cleanup();
  });

  it('traces an HTTP/JSON submit: its server span joins the caller\'s traceparent, and the task joins the span', async () => {
    const receiver = await startOtlpReceiver('http/protobuf');
    receivers.push(receiver);
    const env = otlpEnv(receiver.endpoint, 'http/protobuf');
    const { coordinator } = await startSystem(group, env);
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const response = await fetch(`http://127.0.0.1:${coordinator.httpPort}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01` },
      body: JSON.stringify({ type: 'traced.flaky', payload: {} }),
    });
    expect(response.status).to.equal(200);
    const { task } = (await response.json()) as { task: { id: string; traceContext: { traceparent: string } } };
    const spans = await receiver.waitForSpans((all) => named(all, 'POST /v1/tasks').length === 1 && named(all, 'process default').length === 2, 20_000);
    const [server] = named(spans, 'POST /v1/tasks');
    expect(server?.kind).to.equal('SERVER');
    expect(server?.traceId).to.equal(callerTrace);
    expect(server?.parentSpanId).to.equal(callerSpan);
    expect(server?.attributes['rpc.method']).to.equal('SubmitTask');
    expect(task.traceContext.traceparent).to.equal(`00-${callerTrace}-${server?.spanId}-01`);
    for (const span of named(spans, 'process default')) expect(span.traceId).to.equal(callerTrace);
    await group.cleanup();
  });

  it('puts trace_id and span_id on every log line about the task', async () => {
    const receiver = await startOtlpReceiver('http/protobuf');
    receivers.push(receiver);
    const env = otlpEnv(receiver.endpoint, 'http/protobuf');
    const { coordinator, worker } = await startSystem(group, env);
    const { task } = await submitAndWait(group, coordinator.address, 'traced.flaky', env);
    const spans = await receiver.waitForSpans(taskTraceComplete, 20_000);
    const [send] = named(spans, 'send default');
    const about = [...coordinator.process.lines, ...worker.lines].filter((line) => line.task_id === task.id);
    expect(about.length).to.be.greaterThan(1);
    for (const line of about) {
      expect(line.trace_id, `${String(line.msg)} has trace_id`).to.equal(send?.traceId);
      expect(line.span_id, `${String(line.msg)} has span_id`).to.match(/^[0-9a-f]{16}$/);
    }
    await group.cleanup();
  });

  it('loads no SDK, creates no exporter and sends nothing when no OTEL_* variable is set', async () => {
    const loads = join(group.tempDir(), 'otel-loads.txt');
    const env = { ...NO_OTEL, ...recordSdkLoads(loads) };
    const { coordinator, worker } = await startSystem(group, env);
    const { code } = await submitAndWait(group, coordinator.address, 'traced.flaky', env);
    expect(code).to.equal(0);
    const starting = await coordinator.process.waitForLog((line) => line.msg === 'coordinator starting', 'coordinator starting');
    expect(starting.tracing).to.match(/^off \(no OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect((await worker.waitForLog((line) => line.msg === 'worker starting', 'worker starting')).tracing).to.match(/^off/);
    await group.cleanup();
    expect(existsSync(loads) ? readFileSync(loads, 'utf8') : '').to.equal('');
  });

  it('costs no task and no error exit when the receiver is down', async () => {
    const receiver = await startOtlpReceiver('http/protobuf');
    const deadEndpoint = receiver.endpoint;
    await receiver.close(); // its port now refuses connections
    const loads = join(group.tempDir(), 'otel-loads.txt');
    const env = { ...otlpEnv(deadEndpoint, 'http/protobuf'), ...recordSdkLoads(loads) };
    const { coordinator, worker } = await startSystem(group, env);
    const { code, task } = await submitAndWait(group, coordinator.address, 'traced.flaky', env);
    expect(code).to.equal(0);
    expect(task.state).to.equal('succeeded');
    expect((await worker.stop()).code).to.equal(0);
    expect((await coordinator.process.stop()).code).to.equal(0);
    // The same recorder that finds nothing when tracing is off finds the SDK when it is on.
    expect(readFileSync(loads, 'utf8')).to.include('@opentelemetry/sdk-trace');
    await group.cleanup();
  });
});
