/**
 * The servers behind the OTLP test receiver (`../otlp-receiver.ts`), one per protocol. They
 * count, answer and decode requests, and report everything to a {@link ReceiverSink}.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import {
  Server as GrpcServer,
  ServerCredentials,
  status,
  type handleUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import {
  decodeJsonTraceRequest,
  decodeProtobufTraceRequest,
  loadTraceServiceDefinition,
  type ReceivedSpan,
} from './otlp-wire';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** How long a closing gRPC server lets calls in flight finish before cutting them off. */
const GRPC_SHUTDOWN_GRACE_MS = 1_000;

/** What the servers report to: the receiver's state, kept apart from any one transport. */
export interface ReceiverSink {
  readonly decode: boolean;
  onRequest(path: string): void;
  onBytes(count: number): void;
  onSpans(spans: readonly ReceivedSpan[]): void;
  onError(err: Error): void;
}

/** A listening server. */
export interface Transport {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server for `protocol` on 127.0.0.1, port 0, reporting to `sink`. */
export function startTransport(protocol: OtlpProtocol, sink: ReceiverSink): Promise<Transport> {
  switch (protocol) {
    case 'http/protobuf':
      return startHttpTransport('protobuf', sink);
    case 'http/json':
      return startHttpTransport('json', sink);
    case 'grpc':
      return startGrpcTransport(sink);
  }
}

// ---- HTTP ------------------------------------------------------------------------------

type HttpEncoding = 'protobuf' | 'json';

const TRACES_PATH = '/v1/traces';
const SIGNAL_PATHS: ReadonlySet<string> = new Set([TRACES_PATH, '/v1/metrics', '/v1/logs']);
const CONTENT_TYPES: Readonly<Record<HttpEncoding, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };
/** An empty Export{Trace,Metrics,Logs}ServiceResponse: no bytes at all in binary, `{}` in JSON. */
const EMPTY_RESPONSES: Readonly<Record<HttpEncoding, string>> = { protobuf: '', json: '{}' };

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

async function startHttpTransport(encoding: HttpEncoding, sink: ReceiverSink): Promise<Transport> {
  const server = createServer((req, res) => receiveHttp(req, res, encoding, sink));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { port, close: () => closeHttpServer(server) };
}

function receiveHttp(req: IncomingMessage, res: ServerResponse, encoding: HttpEncoding, sink: ReceiverSink): void {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  sink.onRequest(path);
  const keepBody = sink.decode && path === TRACES_PATH;
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    sink.onBytes(chunk.length);
    if (keepBody) chunks.push(chunk);
  });
  // The client went away mid-body: there is no one left to answer.
  req.on('error', (err) => sink.onError(err));
  req.on('end', () => {
    void answerHttp(req, path, keepBody ? Buffer.concat(chunks) : null, encoding, sink).then((answer) => {
      res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
    });
  });
}

/** Never rejects: a refused request becomes a 4xx answer and an entry in `errors`. */
async function answerHttp(
  req: IncomingMessage,
  path: string,
  body: Buffer | null,
  encoding: HttpEncoding,
  sink: ReceiverSink,
): Promise<HttpAnswer> {
  const refuse = (status: number, message: string): HttpAnswer => {
    sink.onError(new Error(`${req.method ?? '?'} ${path}: ${message}`));
    return { status, contentType: 'text/plain', body: message };
  };
  if (req.method !== 'POST' || !SIGNAL_PATHS.has(path)) return refuse(404, 'not an OTLP/HTTP endpoint');
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith(CONTENT_TYPES[encoding])) {
    return refuse(415, `this receiver takes ${CONTENT_TYPES[encoding]}, not ${contentType || 'no content-type'}`);
  }
  if (body !== null) {
    try {
      const decoded = await decodeContent(body, req.headers['content-encoding']);
      sink.onSpans(encoding === 'json' ? decodeJsonTraceRequest(decoded.toString('utf8')) : decodeProtobufTraceRequest(decoded));
    } catch (err: unknown) {
      return refuse(400, `undecodable ${encoding} trace export: ${asError(err).message}`);
    }
  }
  return { status: 200, contentType: CONTENT_TYPES[encoding], body: EMPTY_RESPONSES[encoding] };
}

async function decodeContent(body: Buffer, contentEncoding: string | undefined): Promise<Buffer> {
  switch ((contentEncoding ?? 'identity').toLowerCase()) {
    case 'identity':
      return body;
    case 'gzip':
      return gunzipAsync(body);
    case 'deflate':
      return inflateAsync(body);
    default:
      throw new Error(`unsupported content-encoding ${contentEncoding}`);
  }
}

function closeHttpServer(server: HttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Exporters keep their connections alive; close() alone would wait for them to go idle.
    server.closeAllConnections();
  });
}

// ---- gRPC ------------------------------------------------------------------------------

const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
/** Any empty message encodes to no bytes. */
const EMPTY_MESSAGE = Buffer.alloc(0);

async function startGrpcTransport(sink: ReceiverSink): Promise<Transport> {
  const { Export: exportMethod } = loadTraceServiceDefinition();
  if (exportMethod === undefined) throw new Error('TraceService has no Export method');
  // Requests stay bytes, so they can be counted, and skipped cheaply when not decoding.
  const traceService: ServiceDefinition = { Export: { ...exportMethod, requestDeserialize: (bytes: Buffer) => bytes } };

  const server = new GrpcServer({ 'grpc.max_receive_message_length': -1 });
  server.addService(traceService, { Export: exportTraces(sink) });
  server.addService(countOnlyService(METRICS_EXPORT_PATH), { Export: countOnly(sink) });
  server.addService(countOnlyService(LOGS_EXPORT_PATH), { Export: countOnly(sink) });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { port, close: () => shutdownGrpcServer(server) };
}

function exportTraces(sink: ReceiverSink): handleUnaryCall<Buffer, object> {
  return (call, callback) => {
    sink.onRequest(call.getPath());
    sink.onBytes(call.request.length);
    if (sink.decode) {
      try {
        sink.onSpans(decodeProtobufTraceRequest(call.request));
      } catch (err: unknown) {
        const error = new Error(`${call.getPath()}: undecodable trace export: ${asError(err).message}`);
        sink.onError(error);
        callback({ code: status.INVALID_ARGUMENT, details: error.message });
        return;
      }
    }
    callback(null, {});
  };
}

function countOnly(sink: ReceiverSink): handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    sink.onRequest(call.getPath());
    sink.onBytes(call.request.length);
    callback(null, EMPTY_MESSAGE);
  };
}

/** A unary `Export` at `path` that takes any bytes and answers an empty message. */
function countOnlyService(path: string): ServiceDefinition {
  const bytes = (value: Buffer): Buffer => value;
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: bytes,
      requestDeserialize: bytes,
      responseSerialize: bytes,
      responseDeserialize: bytes,
    },
  };
}

function shutdownGrpcServer(server: GrpcServer): Promise<void> {
  return new Promise((resolve) => {
    // tryShutdown closes idle connections at once but waits for calls in flight; a benchmark
    // may close mid-export, so cut those off after a grace period (which also ends the wait).
    const force = setTimeout(() => server.forceShutdown(), GRPC_SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
