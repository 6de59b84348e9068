/**
 * How every program that connects out to the coordinator (the SDK, the CLI, the worker and
 * its keep-alive thread) secures its channel: TLS or mutual TLS from PEM files, and a bearer
 * token in the `authorization` metadata of every call.
 */
import { credentials, type ChannelCredentials, type ClientOptions, type Interceptor } from '@grpc/grpc-js';
import { bearerTokenInterceptor, checkBearerToken } from './bearer-token';
import { ConfigError, errorMessage } from './errors';
import { parseCertificate, parsePrivateKey, readPemSource, type PemSource } from './tls-material';

export type { PemSource } from './tls-material';

/** What a user gives. Setting any TLS option turns TLS on. */
export interface ConnectionSecurityOptions {
  /** The CA the coordinator's certificate must chain to; unset with TLS on: the system's roots. */
  readonly tlsCa?: PemSource | undefined;
  /** This client's certificate, for a coordinator that requires mutual TLS; needs `tlsKey`. */
  readonly tlsCert?: PemSource | undefined;
  /** The unencrypted private key of `tlsCert`; needs `tlsCert`. */
  readonly tlsKey?: PemSource | undefined;
  /** Sent as `authorization: Bearer TOKEN` with every call, with or without TLS. */
  readonly token?: string | undefined;
}

/**
 * The `tls` option of BatonClient and Worker. Setting any of these turns TLS on. Each is a PEM
 * file's path (read once, when the client or worker is constructed) or the PEM bytes as a
 * Buffer (any Uint8Array will do).
 */
export interface TlsOptions {
  /**
   * The CA certificate(s) the coordinator's certificate must chain to. Unset: the system's
   * trusted roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH when set).
   */
  readonly ca?: string | Uint8Array | undefined;
  /** This client's certificate chain, for a coordinator that requires mutual TLS. Needs `key`. */
  readonly cert?: string | Uint8Array | undefined;
  /** The unencrypted private key of `cert`. Needs `cert`. */
  readonly key?: string | Uint8Array | undefined;
}

/** The library's `tls` and `token` options in the shape {@link loadConnectionSecurity} takes. */
export function libraryConnectionSecurityOptions(options: {
  readonly tls?: TlsOptions | undefined;
  readonly token?: string | undefined;
}): ConnectionSecurityOptions {
  return { tlsCa: options.tls?.ca, tlsCert: options.tls?.cert, tlsKey: options.tls?.key, token: options.token };
}

/** Each option as the user wrote it (`--tls-ca`, `BATON_TLS_CA`, `tls.ca`), for errors. */
export type ConnectionSecurityNames = { readonly [K in keyof ConnectionSecurityOptions]-?: string };

/** The names of the options of BatonClient and Worker (`tls: { ca, cert, key }`, `token`). */
export const LIBRARY_SECURITY_NAMES: ConnectionSecurityNames = {
  tlsCa: 'tls.ca',
  tlsCert: 'tls.cert',
  tlsKey: 'tls.key',
  token: 'token',
};

/**
 * The options with every file read and checked. Plain data (bytes and a string), so that it
 * crosses to a worker thread through `workerData` as is, and so that both channels of a
 * worker present the same certificate even if the files are replaced in between.
 */
export interface ConnectionSecurity {
  readonly tlsCa?: Uint8Array | undefined;
  readonly tlsCert?: Uint8Array | undefined;
  readonly tlsKey?: Uint8Array | undefined;
  readonly token?: string | undefined;
}

/** What grpc-js needs to open a secured channel. */
export interface GrpcChannelSecurity {
  readonly credentials: ChannelCredentials;
  /** The caller's channel options, with the token interceptor added when there is a token. */
  readonly options: Partial<ClientOptions>;
}

/**
 * Reads the TLS files (synchronously: they are small, and a wrong path should fail at
 * start-up) and checks every option.
 * @param names how errors name each option; default the library's (`tls.ca`, ...).
 * @throws ConfigError naming the option: an unreadable file, a file that holds no certificate
 *   or key, a certificate without its key or the reverse, a key that does not match its
 *   certificate, an empty token or one with whitespace or control characters.
 */
export function loadConnectionSecurity(
  options: ConnectionSecurityOptions,
  names: ConnectionSecurityNames = LIBRARY_SECURITY_NAMES,
): ConnectionSecurity {
  checkCertificateHasKey(options, names);
  const token = options.token === undefined ? undefined : checkBearerToken(options.token, names.token);
  const tlsCa = options.tlsCa === undefined ? undefined : loadCertificate(options.tlsCa, names.tlsCa);
  const security: ConnectionSecurity = { tlsCa, ...loadClientIdentity(options, names), token };
  if (usesTls(security)) createCredentials(security, names);
  return security;
}

/**
 * The credentials and channel options for a client of the coordinator.
 * @param security from {@link loadConnectionSecurity} (possibly after a trip through `workerData`).
 * @param options the caller's channel options, kept as they are apart from the interceptors.
 */
export function grpcChannelSecurity(security: ConnectionSecurity, options: Partial<ClientOptions> = {}): GrpcChannelSecurity {
  const channelCredentials = usesTls(security) ? createCredentials(security, LIBRARY_SECURITY_NAMES) : credentials.createInsecure();
  if (security.token === undefined) return { credentials: channelCredentials, options };
  return { credentials: channelCredentials, options: withInterceptor(options, bearerTokenInterceptor(security.token)) };
}

/** For logs: whether TLS and a token are in use, never the token. */
export function describeConnectionSecurity(security: ConnectionSecurity): { tls: 'off' | 'on' | 'mutual'; token: boolean } {
  const tls = security.tlsCert !== undefined ? 'mutual' : usesTls(security) ? 'on' : 'off';
  return { tls, token: security.token !== undefined };
}

function usesTls(security: ConnectionSecurity): boolean {
  return security.tlsCa !== undefined || security.tlsCert !== undefined || security.tlsKey !== undefined;
}

/** Checked before reading anything, so the message is about the missing option, not a file. */
function checkCertificateHasKey(options: ConnectionSecurityOptions, names: ConnectionSecurityNames): void {
  if (options.tlsCert !== undefined && options.tlsKey === undefined) {
    throw new ConfigError(names.tlsKey, `required with ${names.tlsCert} (the private key of the client certificate)`);
  }
  if (options.tlsKey !== undefined && options.tlsCert === undefined) {
    throw new ConfigError(names.tlsCert, `required with ${names.tlsKey} (the certificate of the private key)`);
  }
}

function loadCertificate(source: PemSource, name: string): Buffer {
  const pem = readPemSource(source, name);
  parseCertificate(pem, source, name);
  return pem;
}

function loadClientIdentity(options: ConnectionSecurityOptions, names: ConnectionSecurityNames): Pick<ConnectionSecurity, 'tlsCert' | 'tlsKey'> {
  if (options.tlsCert === undefined || options.tlsKey === undefined) return {};
  const certPem = readPemSource(options.tlsCert, names.tlsCert);
  const certificate = parseCertificate(certPem, options.tlsCert, names.tlsCert);
  const keyPem = readPemSource(options.tlsKey, names.tlsKey);
  const key = parsePrivateKey(keyPem, options.tlsKey, names.tlsKey);
  // A mismatch would otherwise show only as a handshake failure on the coordinator's side.
  if (!certificate.checkPrivateKey(key)) throw new ConfigError(names.tlsKey, `does not match the certificate of ${names.tlsCert}`);
  return { tlsCert: certPem, tlsKey: keyPem };
}

function createCredentials(security: ConnectionSecurity, names: ConnectionSecurityNames): ChannelCredentials {
  try {
    // grpc-js wants Buffers; after workerData they are plain Uint8Arrays (viewed, not copied).
    return credentials.createSsl(toBuffer(security.tlsCa), toBuffer(security.tlsKey), toBuffer(security.tlsCert));
  } catch (err: unknown) {
    // Each file parsed on its own; what is left is Node refusing the combination.
    const given = (['tlsCa', 'tlsCert', 'tlsKey'] as const).filter((key) => security[key] !== undefined).map((key) => names[key]);
    throw new ConfigError(given.join(', '), `cannot set up TLS: ${errorMessage(err)}`, { cause: err });
  }
}

function toBuffer(bytes: Uint8Array | undefined): Buffer | null {
  return bytes === undefined ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Adds `interceptor` after the caller's own. grpc-js refuses `interceptors` together with
 * `interceptor_providers`, so a caller using providers gets it as one more provider.
 */
function withInterceptor(options: Partial<ClientOptions>, interceptor: Interceptor): Partial<ClientOptions> {
  const providers = options.interceptor_providers;
  if (providers !== undefined && providers.length > 0) {
    return { ...options, interceptor_providers: [...providers, () => interceptor] };
  }
  return { ...options, interceptors: [...(options.interceptors ?? []), interceptor] };
}
