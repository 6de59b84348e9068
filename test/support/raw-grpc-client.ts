import { RawStream, type CallOutcome } from './raw-stream';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type CallOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  type Client,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';

/** Every RPC the coordinator serves, by the name the fuzz reports use. */
export const RPCS = {
  SubmitTask: { path: '/baton.v1.TaskQueue/SubmitTask', shape: 'unary' },
  SubmitTasks: { path: '/baton.v1.TaskQueue/SubmitTasks', shape: 'unary' },
  GetTask: { path: '/baton.v1.TaskQueue/GetTask', shape: 'unary' },
  WatchTask: { path: '/baton.v1.TaskQueue/WatchTask', shape: 'server-stream' },
  CancelTask: { path: '/baton.v1.TaskQueue/CancelTask', shape: 'unary' },
  ListTasks: { path: '/baton.v1.TaskQueue/ListTasks', shape: 'unary' },
  RetryTask: { path: '/baton.v1.TaskQueue/RetryTask', shape: 'unary' },
  GetStats: { path: '/baton.v1.TaskQueue/GetStats', shape: 'unary' },
  KeepAlive: { path: '/baton.v1.WorkerService/KeepAlive', shape: 'unary' },
  Connect: { path: '/baton.v1.WorkerService/Connect', shape: 'bidi' },
} as const;

export type { CallOutcome };
export type RpcName = keyof typeof RPCS;
export const RPC_NAMES = Object.keys(RPCS) as RpcName[];


const identity = (bytes: Buffer): Buffer => bytes;

function rawDefinition(): ServiceDefinition {
  const methods: Record<string, ServiceDefinition[string]> = {};
  for (const name of RPC_NAMES) {
    const { path, shape } = RPCS[name];
    methods[name] = {
      path,
      requestStream: shape === 'bidi',
      responseStream: shape !== 'unary',
      // Identity both ways: the bytes the fuzzer made are exactly what the server decodes.
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return methods;
}

type UnaryMethod = (
  request: Buffer,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, response?: Buffer) => void,
) => ClientUnaryCall;
type ServerStreamMethod = (request: Buffer, metadata: Metadata, options: Partial<CallOptions>) => ClientReadableStream<Buffer>;
type BidiMethod = (metadata: Metadata, options: Partial<CallOptions>) => ClientDuplexStream<Buffer, Buffer>;

const RawServiceClient = makeGenericClientConstructor(rawDefinition(), 'baton.fuzz.Raw');

type AnyClient = Client & Record<string, unknown>;

/**
 * Streams opened per connection before the next ones move to a fresh connection. Every
 * stream a client ends early is an RST_STREAM, and Node's HTTP/2 server (nghttp2's
 * rapid-reset guard, about 1000 at once then 33 a second) answers a flood of them by
 * tearing the whole connection down with INTERNAL_ERROR, failing every call on it.
 */
const STREAMS_PER_CONNECTION = 300;

/** A connection of its own (grpc-js otherwise shares one per target across clients). */
function connectRaw(address: string): AnyClient {
  return new RawServiceClient(address, credentials.createInsecure(), {
    // Huge lists are part of the input space: no client-side size limit may answer for the server.
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
    'grpc.use_local_subchannel_pool': 1,
  });
}

/**
 * A grpc-js client that sends bytes as they are and keeps answers as bytes, so that random,
 * mutated and well-formed messages all reach the server's own decoder. Unary calls share one
 * connection; streams rotate over connections (see STREAMS_PER_CONNECTION).
 */
export class RawGrpcClient {
  private readonly client: AnyClient;
  private streaming: { client: AnyClient; opened: number; open: number };
  private readonly retired = new Set<{ client: AnyClient; opened: number; open: number }>();

  constructor(private readonly address: string) {
    this.client = connectRaw(address);
    this.streaming = { client: connectRaw(address), opened: 0, open: 0 };
  }

  /** A unary call; resolves (never rejects) with how it ended. */
  unary(rpc: RpcName, request: Buffer, deadlineMs: number): Promise<CallOutcome> {
    const method = this.client[rpc] as UnaryMethod;
    return new Promise((resolve) => {
      method.call(this.client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, response) => {
        if (err) resolve({ code: err.code, details: err.details, responses: [], cancelledByUs: false });
        else resolve({ code: status.OK, details: '', responses: response ? [response] : [], cancelledByUs: false });
      });
    });
  }

  /**
   * A server-streaming call. A stream that would go on (WatchTask of an unfinished task) is
   * cancelled after its first message: that message already proves a deliberate answer.
   */
  serverStream(rpc: RpcName, request: Buffer, deadlineMs: number): Promise<CallOutcome> {
    const connection = this.streamConnection();
    const method = connection.client[rpc] as ServerStreamMethod;
    const call = method.call(connection.client, request, new Metadata(), { deadline: Date.now() + deadlineMs });
    const responses: Buffer[] = [];
    let cancelledByUs = false;
    const ended = new Promise<CallOutcome>((resolve) => {
      call.on('data', (message: Buffer) => {
        responses.push(message);
        if (!cancelledByUs) {
          cancelledByUs = true;
          call.cancel();
        }
      });
      call.on('error', () => undefined); // the status event carries the same code
      call.on('status', (result: StatusObject) => resolve({ code: result.code, details: result.details, responses, cancelledByUs }));
    });
    return this.release(connection, ended);
  }

  /** Opens a bidi stream of raw messages. */
  bidi(rpc: RpcName): RawStream {
    const connection = this.streamConnection();
    const method = connection.client[rpc] as BidiMethod;
    const stream = new RawStream(method.call(connection.client, new Metadata(), {}));
    void this.release(connection, stream.ended);
    return stream;
  }

  /** Closes every connection; calls still open on them end CANCELLED. */
  close(): void {
    this.client.close();
    this.streaming.client.close();
    for (const connection of this.retired) connection.client.close();
    this.retired.clear();
  }

  private streamConnection(): { client: AnyClient; opened: number; open: number } {
    if (this.streaming.opened >= STREAMS_PER_CONNECTION) {
      this.retired.add(this.streaming);
      this.streaming = { client: connectRaw(this.address), opened: 0, open: 0 };
    }
    this.streaming.opened += 1;
    this.streaming.open += 1;
    return this.streaming;
  }

  /** Closes a retired connection once its last stream has ended. */
  private async release<T>(connection: { client: AnyClient; opened: number; open: number }, ended: Promise<T>): Promise<T> {
    const outcome = await ended;
    connection.open -= 1;
    if (connection.open === 0 && this.retired.delete(connection)) connection.client.close();
    return outcome;
  }
}

/** `INTERNAL` rather than `13`, for reports. */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? `code ${code}`;
}
