import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../shared/errors';
import {
  WorkerServiceService,
  type ConnectRequest,
  type ConnectResponse,
  type KeepAliveRequest,
  type KeepAliveResponse,
} from '../../../shared/gen/baton/v1/worker_service';
import { Worker } from '../../../worker/worker';
import { createTestCa, type TestCa } from '../../support/test-ca';

/** What the fake coordinator saw of one call. */
interface SeenCall {
  readonly method: 'connect' | 'keepAlive';
  readonly authorization: string[];
  readonly peer: string | undefined;
}

const HEARTBEAT_MS = 50;

/**
 * A coordinator stand-in for the worker service over mutual TLS: welcomes every Connect,
 * answers every KeepAlive, and records the credentials each call came with.
 */
async function startFakeCoordinator(ca: TestCa, onCall: (call: SeenCall) => void): Promise<{ address: string; close: () => void }> {
  const seen = (method: SeenCall['method'], call: Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'getAuthContext'>): void => {
    const commonName = call.getAuthContext().sslPeerCertificate?.subject?.CN;
    onCall({ method, authorization: call.metadata.get('authorization').map(String), peer: typeof commonName === 'string' ? commonName : undefined });
  };
  const server = new Server();
  server.addService(WorkerServiceService, {
    connect(call: ServerDuplexStream<ConnectRequest, ConnectResponse>) {
      seen('connect', call);
      call.on('data', (request: ConnectRequest) => {
        if (request.message?.$case !== 'hello') return;
        const welcome = { sessionId: 'session-1', heartbeatInterval: { seconds: 0, nanos: HEARTBEAT_MS * 1_000_000 }, reclaimedLeaseIds: [], maxResultBytes: 0, resumeSecret: '' };
        call.write({ message: { $case: 'welcome', value: welcome } });
      });
      call.on('end', () => call.end());
    },
    keepAlive(call: ServerUnaryCall<KeepAliveRequest, KeepAliveResponse>, callback: sendUnaryData<KeepAliveResponse>) {
      seen('keepAlive', call);
      callback(null, { sessionAlive: true });
    },
  });
  const identity = { private_key: readFileSync(ca.server.key), cert_chain: readFileSync(ca.server.cert) };
  const credentials = ServerCredentials.createSsl(readFileSync(ca.ca.cert), [identity], true);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

describe('Worker: TLS and token', () => {
  let ca: TestCa;

  before(async () => {
    ca = await createTestCa({ clientNames: ['worker-1'] });
  });

  after(() => ca?.cleanup());

  it('secures both its stream and the keep-alive thread\'s channel the same way', async () => {
    const calls: SeenCall[] = [];
    let keepAliveSeen!: () => void;
    const keptAlive = new Promise<void>((resolve) => (keepAliveSeen = resolve));
    const coordinator = await startFakeCoordinator(ca, (call) => {
      calls.push(call);
      if (call.method === 'keepAlive') keepAliveSeen();
    });
    const client = ca.clients['worker-1'];
    const worker = new Worker({
      coordinator: coordinator.address,
      handlers: { noop: () => undefined },
      tls: { ca: ca.ca.cert, cert: client?.cert, key: client?.key },
      token: 'w0rker-token',
      shutdownGrace: 100,
    });
    try {
      await worker.start();
      await keptAlive;
    } finally {
      await worker.close();
      coordinator.close();
    }
    const expected = { authorization: ['Bearer w0rker-token'], peer: 'worker-1' };
    expect(calls.find((call) => call.method === 'connect')).to.deep.equal({ method: 'connect', ...expected });
    expect(calls.find((call) => call.method === 'keepAlive')).to.deep.equal({ method: 'keepAlive', ...expected });
  });

  it('refuses bad options in the constructor, naming them', () => {
    const make = (options: Partial<ConstructorParameters<typeof Worker>[0]>) => () =>
      new Worker({ coordinator: '127.0.0.1:1', handlers: { noop: () => undefined }, ...options });
    expect(make({ tls: { ca: '/no/such/ca.pem' } })).to.throw(ConfigError, /^tls\.ca: cannot read \/no\/such\/ca\.pem/);
    expect(make({ tls: { cert: ca.ca.cert } })).to.throw(ConfigError, /^tls\.key: required with tls\.cert/);
    expect(make({ token: 'two words' })).to.throw(ConfigError, /^token: must be visible ASCII without spaces/);
  });
});
