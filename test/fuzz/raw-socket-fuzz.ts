/**
 * Area 3: raw garbage on the coordinator's TCP ports. On the gRPC port: random bytes, cut
 * HTTP/2 prefaces, random frames, and hand-made gRPC calls that break the framing (DATA
 * after END_STREAM, length prefixes that lie, a compressed flag with no encoding). On the
 * HTTP port: random bytes, half requests, odd methods and versions, lying lengths, then
 * close (gracefully or with a reset). Nothing here may take a port down.
 */
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import { get } from 'node:http';
import { scaled } from './fuzz-config';
import type { FuzzContext } from './fuzz-context';
import type { Finding } from './fuzz-report';
import { EMPTY_SETTINGS, Flag, frame, FrameType, grpcMessage, grpcRequestHeaders, headerBlock, PREFACE } from './h2-frames';
import { runProperty } from './property-runner';
import { RPC_NAMES, RPCS } from '../support/raw-grpc-client';

const BATCH_MAX = 64;
const AVERAGE_BATCH = 31;
const DEFAULT_CONNECTIONS = { grpc: 2800, http: 1400 };
/** A connection that neither answers nor closes within this is simply closed by us. */
const SOCKET_TIMEOUT_MS = 2000;

type Port = 'grpc' | 'http';

interface SocketCase {
  /** Bytes to send, in chunks written one after another. */
  readonly chunks: readonly Uint8Array[];
  /** How long to listen before closing. */
  readonly listenMs: number;
  /** Reset (RST) instead of a graceful close: also keeps TIME_WAIT off the client's ports. */
  readonly reset: boolean;
  readonly label: string;
}

const listenMs = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 21, max: 200 }) });
const cut = fc.double({ min: 0, max: 1, noNaN: true });
const randomBytes = fc.uint8Array({ maxLength: 4096, size: 'max' });

function finish(label: string, bytes: readonly Uint8Array[], keepFraction: number | undefined): fc.Arbitrary<SocketCase> {
  const all = Buffer.concat(bytes);
  const kept = keepFraction === undefined ? all : all.subarray(0, Math.floor(all.length * keepFraction));
  return fc.record({
    chunks: fc.integer({ min: 1, max: 3 }).map((n) => split(kept, n)),
    listenMs,
    reset: fc.boolean(),
    label: fc.constant(label),
  });
}

function split(bytes: Buffer, pieces: number): Buffer[] {
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

const randomFrame = fc
  .record({ type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 })), flags: fc.integer({ min: 0, max: 255 }), stream: fc.oneof(fc.constantFrom(0, 1, 3, 2 ** 31 - 1), fc.nat()), payload: fc.uint8Array({ maxLength: 64 }) })
  .map(({ type, flags, stream, payload }) => frame(type, flags, stream, payload));

/** A gRPC call below grpc-js: its headers, then messages whose framing may lie, then what follows END_STREAM. */
const handMadeCall = fc
  .record({
    path: fc.oneof(fc.constantFrom(...RPC_NAMES.map((name) => RPCS[name].path)), fc.constantFrom('/', '/baton.v1.TaskQueue/Nope', '/x'.repeat(3000))),
    messages: fc.array(
      fc.record({ payload: fc.uint8Array({ maxLength: 64 }), compressed: fc.boolean(), lie: fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 5 }), fc.constant(2 ** 31)) }),
      { maxLength: 3 },
    ),
    endStreamAfter: fc.nat({ max: 3 }),
    trailing: fc.array(randomFrame, { maxLength: 2 }),
    keep: fc.option(cut, { nil: undefined }),
  })
  .chain(({ path, messages, endStreamAfter, trailing, keep }) => {
    const bytes: Buffer[] = [PREFACE, EMPTY_SETTINGS, frame(FrameType.HEADERS, Flag.END_HEADERS, 1, grpcRequestHeaders(path, 0))];
    messages.forEach(({ payload, compressed, lie }, i) => {
      const flags = i === endStreamAfter ? Flag.END_STREAM : 0;
      bytes.push(frame(FrameType.DATA, flags, 1, grpcMessage(payload, compressed, Math.max(0, payload.length + lie))));
    });
    if (endStreamAfter >= messages.length) bytes.push(frame(FrameType.DATA, Flag.END_STREAM, 1, new Uint8Array(0)));
    // After END_STREAM: more DATA on the closed stream, and whatever random frames follow.
    bytes.push(frame(FrameType.DATA, 0, 1, grpcMessage(new Uint8Array([0x0a, 0x01, 0x78]))), ...trailing);
    return finish('grpc hand-made call', bytes, keep);
  });

const grpcCases: fc.Arbitrary<SocketCase> = fc.oneof(
  { weight: 2, arbitrary: randomBytes.chain((bytes) => finish('grpc random bytes', [bytes], undefined)) },
  { weight: 2, arbitrary: fc.record({ keep: fc.integer({ min: 0, max: PREFACE.length }), tail: fc.uint8Array({ maxLength: 64 }) }).chain(({ keep, tail }) => finish('grpc cut preface', [PREFACE.subarray(0, keep), tail], undefined)) },
  { weight: 2, arbitrary: fc.array(randomFrame, { minLength: 1, maxLength: 8 }).chain((frames) => finish('grpc random frames', [PREFACE, ...frames], undefined)) },
  { weight: 4, arbitrary: handMadeCall },
  { weight: 1, arbitrary: fc.constantFrom('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\n').chain((text) => finish('grpc http/1 request', [Buffer.from(text, 'latin1')], undefined)) },
  { weight: 1, arbitrary: fc.constant(headerBlock([['a', 'b']])).chain((block) => finish('grpc headers before preface', [frame(FrameType.HEADERS, Flag.END_HEADERS, 1, block), PREFACE], undefined)) },
);

const httpRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'BREW', '', 'G\u0000T', 'CONNECT'),
    path: fc.constantFrom(
      '/healthz', '/metrics', '/', '*', 'http://x/healthz', '/healthz?x=1', `/${'a'.repeat(10_000)}`, '/%zz', '/\u00ff',
      // Targets the URL parser refuses: each once took the coordinator down.
      '//[', '//a:b', 'http://[', '//', '/v1/tasks', '/v1/tasks/%E0%A4%A:cancel', '/v1/../healthz', '/assets/app.js',
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', ''),
    headers: fc.array(
      fc.oneof(
        fc.constantFrom('Host: x', 'Content-Length: 10', 'Content-Length: -1', 'Content-Length: 99999999999', 'Transfer-Encoding: chunked', 'Connection: keep-alive', 'Expect: 100-continue', `X-Big: ${'b'.repeat(70_000)}`, 'bad header', ': empty'),
        fc.string({ maxLength: 40 }),
      ),
      { maxLength: 5 },
    ),
    body: fc.oneof(fc.constant(''), fc.constantFrom('zz\r\nnot hex\r\n', '5\r\nab'), fc.string({ maxLength: 64 })),
    keep: fc.option(cut, { nil: undefined }),
    repeat: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 20 }) }),
  })
  .chain(({ method, path, version, headers, body, keep, repeat }) => {
    const request = Buffer.from(`${method} ${path} ${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`, 'latin1');
    return finish('http request', Array.from({ length: repeat }, () => request), keep);
  });

const httpCases: fc.Arbitrary<SocketCase> = fc.oneof(
  { weight: 2, arbitrary: randomBytes.chain((bytes) => finish('http random bytes', [bytes], undefined)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).chain((keep) => finish('http half request', [Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n'.slice(0, keep))], undefined)) },
  { weight: 5, arbitrary: httpRequest },
  { weight: 1, arbitrary: finish('http h2 preface', [PREFACE, EMPTY_SETTINGS], undefined) },
);

/** How one connection went, as seen from our side. */
interface SocketOutcome {
  readonly refused: boolean;
  readonly closedByServer: boolean;
  readonly received: Buffer;
}

function runSocket(port: number, socketCase: SocketCase): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let refused = false;
    let closedByServer = false;
    let settled = false;
    let timer = setTimeout(() => close(), socketCase.listenMs + SOCKET_TIMEOUT_MS);
    const close = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socketCase.reset && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
      resolve({ refused, closedByServer, received: Buffer.concat(received) });
    };
    socket.on('data', (chunk: Buffer) => {
      if (received.length < 64) received.push(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') refused = true;
      close();
    });
    socket.on('end', () => {
      closedByServer = true;
      close();
    });
    socket.on('connect', () => {
      void writeChunks(socket, socketCase.chunks).then(() => {
        if (socketCase.listenMs === 0) {
          close();
        } else if (!settled) {
          clearTimeout(timer);
          timer = setTimeout(close, socketCase.listenMs);
        }
      });
    });
  });
}

async function writeChunks(socket: Socket, chunks: readonly Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  }
}

function checkSocket(port: Port, socketCase: SocketCase, outcome: SocketOutcome, ctx: FuzzContext): Finding[] {
  ctx.report.answer(`garbage ${port} ${socketCase.label}`, outcome.refused ? 'REFUSED' : outcome.closedByServer ? 'closed by server' : 'closed by us');
  const input = `${socketCase.label}: ${Buffer.concat(socketCase.chunks).subarray(0, 120).toString('hex')} (${Buffer.concat(socketCase.chunks).length} bytes, listen ${socketCase.listenMs}ms${socketCase.reset ? ', then reset' : ''})`;
  if (outcome.refused) return [{ signature: `${port} port refused connections`, summary: `the ${port} port refused a connection: the coordinator stopped listening`, input }];
  if (port === 'http') {
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(outcome.received.toString('latin1'));
    if (statusLine && statusLine[1]!.startsWith('5')) {
      return [{ signature: `http ${statusLine[1]}`, summary: `the HTTP port answered ${statusLine[1]} to garbage`, input }];
    }
  }
  return [];
}

export async function fuzzRawSockets(ctx: FuzzContext): Promise<void> {
  const ports: Record<Port, number> = { grpc: ctx.coordinator.port, http: ctx.coordinator.httpPort };
  await Promise.all(
    (['grpc', 'http'] as const).map((port) =>
      runProperty(
        {
          name: `garbage ${port} port`,
          arb: fc.array(port === 'grpc' ? grpcCases : httpCases, { minLength: 1, maxLength: BATCH_MAX, size: 'max' }),
          numRuns: Math.max(1, Math.ceil(scaled(ctx.config, DEFAULT_CONNECTIONS[port]) / AVERAGE_BATCH)),
          run: async (cases) => {
            ctx.report.sent(cases.length);
            const outcomes = await Promise.all(cases.map((c) => runSocket(ports[port], c)));
            return outcomes.flatMap((outcome, i) => checkSocket(port, cases[i]!, outcome, ctx));
          },
        },
        ctx.config,
        ctx.report,
        ctx.known,
      ),
    ),
  );
}

/** GET on the HTTP port without keep-alive (so no socket outlives the call). */
export function httpGet(port: number, path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path}: no answer within ${timeoutMs}ms`)));
    request.on('error', reject);
  });
}
