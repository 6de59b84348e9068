/**
 * A tiny real gRPC server on 127.0.0.1, port 0, whose one unary method answers with what the
 * call arrived with: its `authorization` metadata and the client certificate's common name.
 * No protos: requests are empty and the answer is JSON. (A server made with TLS credentials
 * speaks nothing else, so an answer from one proves the call went over TLS.)
 */
import {
  Client,
  Server,
  ServerCredentials,
  type ChannelCredentials,
  type ClientOptions,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';

/** What the server saw of one call. */
export interface EchoedCall {
  readonly authorization: string[];
  /** The verified client certificate's CN (mutual TLS only), else null. */
  readonly peerCommonName: string | null;
}

const ECHO_PATH = '/baton.test.Echo/Metadata';

const ECHO_SERVICE: ServiceDefinition = {
  metadata: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    originalName: 'metadata',
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: EchoedCall) => Buffer.from(JSON.stringify(value)),
    responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as EchoedCall,
  },
};

export interface MetadataEchoServer {
  /** `127.0.0.1:PORT` */
  readonly address: string;
  /** Stops at once; the tests close it with no call in flight. */
  close(): void;
}

/** Starts the server with `credentials` (default: plaintext). */
export async function startMetadataEchoServer(credentials = ServerCredentials.createInsecure()): Promise<MetadataEchoServer> {
  const server = new Server();
  server.addService(ECHO_SERVICE, { metadata: echo });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

function echo(call: ServerUnaryCall<Buffer, EchoedCall>, callback: sendUnaryData<EchoedCall>): void {
  const auth = call.getAuthContext();
  const commonName = auth.sslPeerCertificate?.subject?.CN;
  callback(null, {
    authorization: call.metadata.get('authorization').map(String),
    peerCommonName: typeof commonName === 'string' ? commonName : null,
  });
}

/**
 * One call to the echo server over a channel made with `credentials` and `options`, as a
 * client of the coordinator would make it. The client is closed afterwards.
 * @throws ServiceError as grpc-js reports it (UNAVAILABLE for a failed handshake).
 */
export async function callEcho(
  address: string,
  credentials: ChannelCredentials,
  options: Partial<ClientOptions> = {},
): Promise<EchoedCall> {
  const client = new Client(address, credentials, options);
  try {
    return await new Promise<EchoedCall>((resolve, reject) => {
      client.makeUnaryRequest(
        ECHO_PATH,
        (value: Buffer) => value,
        (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as EchoedCall,
        Buffer.alloc(0),
        { deadline: Date.now() + 5000 },
        (err: ServiceError | null, value?: EchoedCall) => (err || value === undefined ? reject(err) : resolve(value)),
      );
    });
  } finally {
    client.close();
  }
}
