import { EventEmitter } from 'node:events';
import { Metadata, type handleServerStreamingCall, type handleUnaryCall, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { fromStatusObject } from '../../shared/grpc-status';
export { HTTP_PEER_PREFIX } from '../api/call-guard';

/** Who sent an HTTP request, as the gRPC handlers' CallGuard reads a caller. */
export interface HttpCaller {
  /** Every Authorization header value (printable ASCII, checked before). */
  readonly authorization: readonly string[];
  /** The client certificate, when mutual TLS verified one. */
  readonly certificate: PeerCertificate | undefined;
  /** Names the client for per-connection limits and refusal logs: `http:ADDRESS`. */
  readonly peer: string;
}

/**
 * The parts of a grpc-js server call that Baton's handlers read (the request, the
 * authorization metadata, the peer and its certificate), so that an HTTP request runs the
 * very handler a gRPC call does: the same admission, validation, engine calls and errors.
 */
function callParts<Req>(request: Req, caller: HttpCaller): { request: Req; metadata: Metadata; getPeer(): string; getAuthContext(): { sslPeerCertificate?: PeerCertificate } } {
  const metadata = new Metadata();
  for (const value of caller.authorization) metadata.add('authorization', value);
  return {
    request,
    metadata,
    getPeer: () => caller.peer,
    getAuthContext: () => (caller.certificate ? { sslPeerCertificate: caller.certificate } : {}),
  };
}

/**
 * Runs a unary handler in process.
 * @returns its response; rejects with the BatonError its status stands for.
 */
export function invokeUnary<Req, Res>(handler: handleUnaryCall<Req, Res>, request: Req, caller: HttpCaller): Promise<Res> {
  const call = callParts(request, caller) as unknown as ServerUnaryCall<Req, Res>;
  return new Promise<Res>((resolve, reject) => {
    handler(call, (err, value) => {
      if (err) reject(fromStatusObject(err));
      else resolve(value as Res);
    });
  });
}

/** Where a server-streaming handler's messages go: an SSE response. */
export interface StreamSink<Res> {
  /** False when the client is not keeping up; `resume` is called once it has. */
  message(message: Res): boolean;
  end(): void;
  fail(err: unknown): void;
}

/**
 * A server-streaming call in process: the handler writes to it as to a grpc-js stream, and
 * it hands each message to `sink`. The returned functions tell the handler that the client
 * is ready for more (grpc-js 'drain') or went away (grpc-js 'cancelled').
 */
export function invokeServerStreaming<Req, Res>(handler: handleServerStreamingCall<Req, Res>, request: Req, caller: HttpCaller, sink: StreamSink<Res>): { drained(): void; cancelled(): void } {
  const emitter = new EventEmitter();
  let ended = false;
  const call = Object.assign(emitter, callParts(request, caller), {
    write: (message: Res): boolean => (ended ? false : sink.message(message)),
    end: (): void => {
      if (ended) return;
      ended = true;
      sink.end();
    },
  });
  // Handlers end a failed stream by emitting 'error' with its status, as grpc-js expects.
  emitter.on('error', (status: { code?: number; details?: string }) => {
    if (ended) return;
    ended = true;
    sink.fail(fromStatusObject(status));
  });
  handler(call as unknown as ServerWritableStream<Req, Res>);
  return {
    drained: () => {
      if (!ended) emitter.emit('drain');
    },
    cancelled: () => {
      if (ended) return;
      ended = true;
      emitter.emit('cancelled');
    },
  };
}
