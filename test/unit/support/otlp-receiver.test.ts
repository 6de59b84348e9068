import { request } from 'node:http';
import { expect } from 'chai';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type HrTime, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startOtlpReceiver, type OtlpProtocol, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const SERVICE_NAME = 'otlp-receiver-test';
const SCOPE_NAME = 'baton.test.scope';
/** Span times past 2^53 ns, so a lossy decode of the fixed64 fields would show. */
const T0_S = 1_700_000_000;
const SAMPLED_LOCAL_PARENT_FLAGS = 0x101; // W3C "sampled" + SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK

const PARENT_ATTRIBUTES = {
  'baton.queue': 'emails',
  'baton.priority': 7,
  'baton.offset': -3,
  'baton.ratio': 0.25,
  'baton.retryable': true,
  'baton.huge': 2 ** 60,
  'baton.tags': ['a', 'b'],
  'baton.delays': [1, 2.5],
  'baton.switches': [true, false],
};

interface SentSpans {
  readonly linked: Span;
  readonly parent: Span;
  readonly child: Span;
}

/** A PRODUCER parent, a CONSUMER child with an event, a link and an error, and the link's target. */
function recordSpans(tracer: Tracer): SentSpans {
  const linked = tracer.startSpan('baton.previous-attempt', { startTime: [T0_S, 0] });
  linked.end([T0_S, 1]);
  const parent = tracer.startSpan('baton.enqueue', {
    kind: SpanKind.PRODUCER,
    startTime: [T0_S, 123_456_789],
    attributes: PARENT_ATTRIBUTES,
  });
  const child = tracer.startSpan(
    'baton.run',
    {
      kind: SpanKind.CONSUMER,
      startTime: [T0_S, 200_000_000],
      attributes: { 'baton.task_id': 't-1' },
      links: [{ context: linked.spanContext(), attributes: { 'baton.link': 'retry-of' } }],
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('baton.lease.renewed', { 'baton.attempt': 2 }, [T0_S, 300_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'handler threw' });
  child.end([T0_S, 400_000_001]);
  parent.end([T0_S + 1, 5]);
  return { linked, parent, child };
}

function nanos([seconds, nanoseconds]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}

function byName(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span named ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

/** Runs `make` with exactly `env` as the OTEL_* environment, as a process started with it would see. */
function withOtelEnv<T>(env: Readonly<Record<string, string>>, make: () => T): T {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('OTEL_'));
  for (const [key] of saved) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return make();
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    for (const [key, value] of saved) process.env[key] = value;
  }
}

/** The official exporter for `protocol`, configured the way a service is: by environment. */
function exporterFor(protocol: OtlpProtocol, endpoint: string, compression: 'gzip' | 'none' = 'none'): SpanExporter {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_COMPRESSION: compression };
  return withOtelEnv(env, () => {
    switch (protocol) {
      case 'http/protobuf':
        return new ProtobufTraceExporter();
      case 'http/json':
        return new JsonTraceExporter();
      case 'grpc':
        return new GrpcTraceExporter();
    }
  });
}

/** Exports the spans `record` makes through `exporter`, then shuts the provider (and exporter) down. */
async function exportSpans(exporter: SpanExporter, record: (tracer: Tracer) => SentSpans): Promise<SentSpans> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  try {
    const sent = record(provider.getTracer(SCOPE_NAME, '1.2.3'));
    await provider.forceFlush();
    return sent;
  } finally {
    await provider.shutdown();
  }
}

interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function post(url: string, contentType: string, body: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver | undefined;

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  for (const protocol of PROTOCOLS) {
    for (const compression of ['none', 'gzip'] as const) {
      it(`decodes every field of spans the official ${protocol} exporter sends (compression: ${compression})`, async () => {
        const otlp = (receiver = await startOtlpReceiver(protocol));
        const { linked, parent, child } = await exportSpans(exporterFor(protocol, otlp.endpoint, compression), recordSpans);

        const spans = await otlp.waitForSpans((received) => received.length >= 3);
        expect(otlp.errors).to.deep.equal([]);
        expect(otlp.requests, 'one batch').to.equal(1);
        expect(otlp.bytes).to.be.greaterThan(0);
        expect(spans.map((s) => s.name)).to.have.members(['baton.previous-attempt', 'baton.enqueue', 'baton.run']);

        const gotParent = byName(spans, 'baton.enqueue');
        const gotChild = byName(spans, 'baton.run');
        expect(gotParent).to.deep.include({
          traceId: parent.spanContext().traceId,
          spanId: parent.spanContext().spanId,
          parentSpanId: '',
          traceState: '',
          flags: SAMPLED_LOCAL_PARENT_FLAGS,
          kind: 'PRODUCER',
          startTimeUnixNano: nanos([T0_S, 123_456_789]),
          endTimeUnixNano: nanos([T0_S + 1, 5]),
          status: { code: 'UNSET', message: '' },
          events: [],
          links: [],
          scope: SCOPE_NAME,
        });
        expect(gotParent.attributes).to.deep.equal({ ...PARENT_ATTRIBUTES, 'baton.huge': 2n ** 60n });
        expect(gotParent.resource['service.name']).to.equal(SERVICE_NAME);

        expect(gotChild).to.deep.include({
          traceId: parent.spanContext().traceId,
          spanId: child.spanContext().spanId,
          parentSpanId: parent.spanContext().spanId,
          kind: 'CONSUMER',
          startTimeUnixNano: 1_700_000_000_200_000_000n,
          endTimeUnixNano: 1_700_000_000_400_000_001n,
          attributes: { 'baton.task_id': 't-1' },
          status: { code: 'ERROR', message: 'handler threw' },
          events: [{ name: 'baton.lease.renewed', timeUnixNano: 1_700_000_000_300_000_000n, attributes: { 'baton.attempt': 2 } }],
          links: [
            {
              traceId: linked.spanContext().traceId,
              spanId: linked.spanContext().spanId,
              traceState: '',
              attributes: { 'baton.link': 'retry-of' },
            },
          ],
        });
        expect(byName(spans, 'baton.previous-attempt').kind).to.equal('INTERNAL');
        expect(gotChild.traceId).to.match(/^[0-9a-f]{32}$/);
        expect(gotChild.spanId).to.match(/^[0-9a-f]{16}$/);
      });
    }
  }

  for (const protocol of PROTOCOLS) {
    it(`with decode: false counts ${protocol} requests and bytes but keeps no spans`, async () => {
      const otlp = (receiver = await startOtlpReceiver(protocol, { decode: false }));
      await exportSpans(exporterFor(protocol, otlp.endpoint), recordSpans);

      expect(otlp.requests).to.equal(1);
      expect(otlp.bytes).to.be.greaterThan(100);
      expect(otlp.spans).to.deep.equal([]);
      expect(otlp.errors).to.deep.equal([]);
    });
  }

  it('answers and counts OTLP/HTTP metrics and logs posts with an empty response of their encoding', async () => {
    const proto = (receiver = await startOtlpReceiver('http/protobuf'));
    const json = await startOtlpReceiver('http/json');
    try {
      expect(await post(`${proto.endpoint}/v1/metrics`, 'application/x-protobuf', '')).to.deep.equal({
        status: 200,
        contentType: 'application/x-protobuf',
        body: '',
      });
      expect(await post(`${json.endpoint}/v1/logs`, 'application/json', '{"resourceLogs":[]}')).to.deep.equal({
        status: 200,
        contentType: 'application/json',
        body: '{}',
      });
      expect([proto.requests, json.requests]).to.deep.equal([1, 1]);
      expect(proto.requestsByPath.get('/v1/metrics')).to.equal(1);
      expect(json.requestsByPath.get('/v1/logs')).to.equal(1);
      expect([...proto.errors, ...json.errors]).to.deep.equal([]);
    } finally {
      await json.close();
    }
  });

  it('counts a gRPC MetricsService/Export call', async () => {
    const otlp = (receiver = await startOtlpReceiver('grpc'));
    const client = new Client(otlp.endpoint.replace('http://', ''), credentials.createInsecure());
    try {
      const path = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const bytes = (value: Buffer): Buffer => value;
        client.makeUnaryRequest(path, bytes, bytes, Buffer.alloc(0), new Metadata(), (err: ServiceError | null, value?: Buffer) =>
          err ? reject(err) : resolve(value ?? Buffer.alloc(1)),
        );
      });
      expect(reply.length).to.equal(0);
      expect(otlp.requests).to.equal(1);
      expect(otlp.requestsByPath.get(path)).to.equal(1);
    } finally {
      client.close();
    }
  });

  it('refuses an export in the wrong encoding and says so', async () => {
    const otlp = (receiver = await startOtlpReceiver('http/protobuf'));
    const exported = await exportSpans(exporterFor('http/json', otlp.endpoint), recordSpans).then(
      () => 'exported',
      (err: unknown) => String(err),
    );

    expect(exported, "the exporter's flush fails with the 415").to.contain('Unsupported Media Type');
    expect(otlp.requests).to.equal(1);
    expect(otlp.spans).to.deep.equal([]);
    expect(otlp.errors.map((e) => e.message)).to.deep.equal([
      'POST /v1/traces: this receiver takes application/x-protobuf, not application/json',
    ]);
  });

  it('times out with a list of what it did receive', async () => {
    const otlp = (receiver = await startOtlpReceiver('http/json'));
    const { child } = await exportSpans(exporterFor('http/json', otlp.endpoint), recordSpans);

    let failure: unknown;
    await otlp.waitForSpans((spans) => spans.some((s) => s.name === 'never'), 50).catch((err: unknown) => (failure = err));
    expect(failure).to.be.an('error');
    const message = (failure as Error).message;
    expect(message).to.contain('no matching spans within 50 ms');
    expect(message).to.contain('received 1 request(s) (/v1/traces ×1) and 3 span(s)');
    expect(message).to.contain(`baton.run [CONSUMER, ERROR] trace ${child.spanContext().traceId}`);
  });

  it('shows that nothing at all was sent', async () => {
    const otlp = (receiver = await startOtlpReceiver('grpc'));
    let failure: unknown;
    await otlp.waitForSpans((spans) => spans.length > 0, 20).catch((err: unknown) => (failure = err));
    expect((failure as Error).message).to.contain('received 0 request(s) and 0 span(s)');
    expect(otlp.requests).to.equal(0);
  });

  it('rejects pending waits when it closes, and closes only once', async () => {
    const otlp = (receiver = await startOtlpReceiver('http/protobuf'));
    const waiting = otlp.waitForSpans((spans) => spans.length > 0);
    const closing = [otlp.close(), otlp.close()];
    expect(closing[0]).to.equal(closing[1]);
    let failure: unknown;
    await waiting.catch((err: unknown) => (failure = err));
    expect((failure as Error).message).to.contain('closed');
    await Promise.all(closing);
  });

  it('stops waiting when the signal aborts', async () => {
    const otlp = (receiver = await startOtlpReceiver('http/json'));
    const controller = new AbortController();
    const waiting = otlp.waitForSpans(() => false, 60_000, controller.signal);
    controller.abort(new Error('test over'));
    let failure: unknown;
    await waiting.catch((err: unknown) => (failure = err));
    expect((failure as Error).message).to.equal('test over');
  });
});
