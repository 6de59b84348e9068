/**
 * What the security integration suites share: one `after` hook that closes every client and
 * stops every process and CA they made, HTTP(S) requests on fresh connections, raw gRPC
 * clients that present a token or arbitrary `authorization` metadata, and tokens files.
 */
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { BatonClient, BatonError, type BatonClientOptions } from '../../client/index';
import { grpcChannelSecurity, loadConnectionSecurity, type GrpcChannelSecurity } from '../../shared/connection-security';
import { TaskQueueClient } from '../../shared/gen/baton/v1/task_queue';
import { WorkerServiceClient, type ConnectResponse, type Hello, type Welcome } from '../../shared/gen/baton/v1/worker_service';
import { ProcessGroup, spawnBaton, type BatonProcess, type CoordinatorHandle, type LogLine } from './processes';
import { createTestCa, type CertificateFiles, type TestCa, type TestCaOptions } from './test-ca';

/** PEM files a client presents: the CA it trusts and, for mutual TLS, its own certificate. */
export interface ClientTlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface SecurityBed {
  readonly group: ProcessGroup;
  /** A BatonClient closed after the suite. */
  client(options: BatonClientOptions): BatonClient;
  /** A raw TaskQueue client (TLS and token as given), closed after the suite. */
  rawTaskQueue(address: string, options?: { tls?: ClientTlsFiles; token?: string }): TaskQueueClient;
  /** A raw WorkerService client (TLS and token as given), closed after the suite. */
  rawWorkerService(address: string, options?: { tls?: ClientTlsFiles; token?: string }): WorkerServiceClient;
  /** Throwaway CAs, removed after the suite. */
  ca(options?: TestCaOptions): Promise<TestCa>;
}

/**
 * Call inside a `describe`. Clients are closed before the processes stop, so that the
 * coordinator's shutdown does not wait on their connections.
 */
export function useSecurityBed(): SecurityBed {
  const group = new ProcessGroup();
  const closables: Array<{ close(): void }> = [];
  const cas: TestCa[] = [];
  after(async () => {
    for (const closable of closables) closable.close();
    closables.length = 0;
    await group.cleanup();
    for (const ca of cas) ca.cleanup();
    cas.length = 0;
  });
  const track = <T extends { close(): void }>(closable: T): T => {
    closables.push(closable);
    return closable;
  };
  const channelFor = (options: { tls?: ClientTlsFiles; token?: string }): GrpcChannelSecurity =>
    grpcChannelSecurity(loadConnectionSecurity({ tlsCa: options.tls?.ca, tlsCert: options.tls?.cert, tlsKey: options.tls?.key, token: options.token }));
  return {
    group,
    client: (options) => track(new BatonClient(options)),
    rawTaskQueue: (address, options = {}) => {
      const channel = channelFor(options);
      return track(new TaskQueueClient(address, channel.credentials, channel.options));
    },
    rawWorkerService: (address, options = {}) => {
      const channel = channelFor(options);
      return track(new WorkerServiceClient(address, channel.credentials, channel.options));
    },
    ca: async (options) => {
      const ca = await createTestCa(options);
      cas.push(ca);
      return ca;
    },
  };
}

/** The coordinator's flags for TLS with `server` as its identity, and mutual TLS when `clientCa` is given. */
export function tlsServerArgs(server: CertificateFiles, clientCa?: string): string[] {
  return ['--tls-cert', server.cert, '--tls-key', server.key, ...(clientCa === undefined ? [] : ['--tls-client-ca', clientCa])];
}

/**
 * The address a TLS client dials: `localhost`, which the test server certificate names, so
 * that grpc-js does not set an IP address as the TLS server name (Node's DEP0123).
 */
export function tlsAddress(coordinator: CoordinatorHandle): string {
  return `localhost:${coordinator.port}`;
}

/** What a promise rejected with, as a BatonError; fails the test if it resolved or threw anything else. */
export async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const outcome = await promise.then(
    () => ({ rejected: false as const }),
    (reason: unknown) => ({ rejected: true as const, reason }),
  );
  if (!outcome.rejected) throw new Error('expected a rejection, but the call succeeded');
  expect(outcome.reason).to.be.instanceOf(BatonError);
  return outcome.reason as BatonError;
}

/** A unary call on a raw grpc-js client: the error (null when it succeeded) and the response. */
export function rawUnary<Req, Res>(
  method: (request: Req, metadata: Metadata, callback: (error: ServiceError | null, response: Res) => void) => unknown,
  request: Req,
  metadata: Metadata = new Metadata(),
): Promise<{ error: ServiceError | null; response: Res | undefined }> {
  return new Promise((resolve) => {
    method(request, metadata, (error, response) => resolve({ error, response: error ? undefined : response }));
  });
}

/** Metadata with each of `values` as an `authorization` entry. */
export function authorization(...values: string[]): Metadata {
  const metadata = new Metadata();
  for (const value of values) metadata.add('authorization', value);
  return metadata;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpGetOptions {
  readonly port: number;
  readonly path: string;
  /** HTTPS with these files; plain HTTP without. */
  readonly tls?: ClientTlsFiles;
  readonly headers?: Record<string, string>;
}

/**
 * One GET on a fresh connection (no agent, so no connection is reused across a certificate
 * reload). Rejects with the transport error (a refused handshake, an untrusted certificate).
 */
export function httpGet(options: HttpGetOptions): Promise<HttpReply> {
  const base: RequestOptions = { host: '127.0.0.1', port: options.port, path: options.path, method: 'GET', agent: false, headers: options.headers ?? {} };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    };
    const tls = options.tls;
    const req = tls
      ? httpsRequest(
          {
            ...base,
            // The certificate names localhost; an IP as the server name is deprecated (DEP0123).
            servername: 'localhost',
            ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
            ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
            ...(tls.key ? { key: readFileSync(tls.key) } : {}),
          },
          onResponse,
        )
      : httpRequest(base, onResponse);
    req.on('error', reject);
    req.end();
  });
}

/** What `httpGet` rejected with; fails the test if an HTTP response came back. */
export async function httpFailure(options: HttpGetOptions): Promise<NodeJS.ErrnoException> {
  const outcome = await httpGet(options).then(
    (reply) => ({ failed: false as const, reply }),
    (err: unknown) => ({ failed: true as const, err }),
  );
  if (!outcome.failed) throw new Error(`expected the request to fail, got HTTP ${outcome.reply.status}`);
  expect(outcome.err).to.be.instanceOf(Error);
  return outcome.err as NodeJS.ErrnoException;
}

/** One entry of a JSON tokens file, as the coordinator reads it. */
export interface TokenEntry {
  readonly name?: string;
  readonly role: 'client' | 'worker' | 'admin';
  readonly token?: string;
  readonly sha256?: string;
  readonly queues?: readonly string[];
}

/** Writes `{"tokens": [...]}` to `dir/name` and returns its path. */
export function writeTokensFile(dir: string, entries: readonly TokenEntry[], name = 'tokens.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ tokens: entries }, null, 2));
  return path;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Waits for a log line that matches and was not yet logged when this was called: the second
 * 'credentials reloaded' rather than the first.
 */
export function waitForNewLog(proc: BatonProcess, predicate: (line: LogLine) => boolean, what: string): Promise<LogLine> {
  const before = new Set(proc.lines);
  return proc.waitForLog((line) => !before.has(line) && predicate(line), what);
}

/** Sends SIGHUP and waits for the coordinator to say how the reload went. */
export async function reloadCredentials(proc: BatonProcess, expected: 'reloaded' | 'failed'): Promise<LogLine> {
  const message = expected === 'reloaded' ? 'credentials reloaded' : 'credentials reload failed; keeping the ones in use';
  const logged = waitForNewLog(proc, (line) => line.msg === message, `'${message}'`);
  proc.signal('SIGHUP');
  return logged;
}

/** `baton coordinator` with extra environment variables (startCoordinator takes none), waited until it listens. */
export async function startCoordinatorWithEnv(
  group: ProcessGroup,
  options: { dataDir: string; args?: readonly string[]; env: Record<string, string> },
): Promise<CoordinatorHandle> {
  const proc = group.add(
    spawnBaton(['coordinator', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data', options.dataDir, ...(options.args ?? [])], 'coordinator', options.env),
  );
  const line = await proc.waitForLog((l) => l.msg === 'coordinator listening', 'coordinator listening');
  const port = line.grpc_port as number;
  return { process: proc, address: `127.0.0.1:${port}`, port, httpPort: line.http_port as number, dataDir: options.dataDir };
}

/** How a raw Connect stream answered its Hello: a Welcome, or the status that ended it. */
export type HelloOutcome = { readonly welcome: Welcome; readonly error?: undefined } | { readonly welcome?: undefined; readonly error: ServiceError };

export interface RawWorkerSession {
  readonly outcome: Promise<HelloOutcome>;
  /** Half-closes the stream and waits until it is over. */
  close(): Promise<void>;
}

/** Opens a Connect stream on a raw client, sends a Hello, and reports the first answer. */
export function sayHello(client: WorkerServiceClient, hello: Partial<Hello>): RawWorkerSession {
  const stream = client.connect();
  const finished = new Promise<void>((resolve) => stream.on('status', () => resolve()));
  const outcome = new Promise<HelloOutcome>((resolve, reject) => {
    stream.on('data', (response: ConnectResponse) => {
      if (response.message?.$case === 'welcome') resolve({ welcome: response.message.value });
      else reject(new Error(`expected a Welcome first, got ${response.message?.$case ?? 'nothing'}`));
    });
    stream.on('error', (error: ServiceError) => resolve({ error }));
    stream.on('status', (status: StatusObject) => {
      if (status.code === GrpcStatus.OK) reject(new Error('the Connect stream ended without a Welcome'));
    });
  });
  stream.write({
    message: {
      $case: 'hello',
      value: { workerId: 'raw-worker', queues: [], taskTypes: ['noop'], concurrency: 1, heldLeaseIds: [], resumeSecret: '', ...hello },
    },
  });
  return {
    outcome,
    close: async () => {
      stream.end();
      await finished;
    },
  };
}
