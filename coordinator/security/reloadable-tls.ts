import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { TlsMaterial } from './tls-material';

/** A TLS handshake that takes longer than this is a client holding a socket for nothing. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

type Listener<T> = (update: T | null) => void;
type CaUpdate = { caCertificate: Buffer };
type IdentityUpdate = { certificate: Buffer; privateKey: Buffer };

/**
 * The coordinator's TLS identity for gRPC and HTTPS, replaceable while serving: `replace`
 * installs new certificates for connections made from then on, and connections (and their
 * streams) already open keep the ones they were made with. grpc-js takes it as a
 * certificate provider; the HTTPS server through `setSecureContext`.
 */
export class ReloadableTls implements experimental.CertificateProvider {
  private material: TlsMaterial;
  private readonly caListeners = new Set<Listener<CaUpdate>>();
  private readonly identityListeners = new Set<Listener<IdentityUpdate>>();
  private readonly httpsServers = new Set<HttpsServer>();

  constructor(material: TlsMaterial) {
    this.material = material;
  }

  get mutual(): boolean {
    return this.material.clientCa !== undefined;
  }

  /** Server credentials for grpc-js; with a client CA, a client certificate from it is required. */
  serverCredentials(): ServerCredentials {
    // grpc-js 1.14 names this function's first two parameters the wrong way round: the first
    // is passed on as the identity provider and the second (nullable) as the CA provider.
    return experimental.createCertificateProviderServerCredentials(this, this.mutual ? this : null, this.mutual);
  }

  /**
   * Options for `https.createServer`. Under mutual TLS a client certificate is asked for but
   * not demanded at the handshake, so that load balancers can probe /healthz without one;
   * every other path checks `socket.authorized` itself.
   */
  httpsOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean; handshakeTimeout: number } {
    return { ...this.contextOptions(), requestCert: this.mutual, rejectUnauthorized: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS };
  }

  /** Keeps an HTTPS server's context in step with `replace`. */
  attach(server: HttpsServer): void {
    this.httpsServers.add(server);
    server.once('close', () => this.httpsServers.delete(server));
  }

  /** Installs new certificates for new connections. Whether mutual TLS is on cannot change while serving. */
  replace(material: TlsMaterial): void {
    if ((material.clientCa !== undefined) !== this.mutual) throw new Error('turning mutual TLS on or off needs a restart');
    this.material = material;
    for (const listener of this.identityListeners) listener(this.identity());
    for (const listener of this.caListeners) listener(this.ca());
    for (const server of this.httpsServers) server.setSecureContext(this.contextOptions());
  }

  // grpc-js asks for the current certificates and only then starts listening for updates:
  // an answer given synchronously is lost and the server drops every TLS connection as
  // "unloaded credentials". So the current value comes on the next tick.
  addCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.caListeners.add(listener);
    const update = this.ca();
    process.nextTick(() => listener(update));
  }

  removeCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.add(listener);
    const update = this.identity();
    process.nextTick(() => listener(update));
  }

  removeIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.identityListeners.delete(listener);
  }

  private identity(): IdentityUpdate {
    return { certificate: this.material.cert, privateKey: this.material.key };
  }

  private ca(): CaUpdate | null {
    return this.material.clientCa ? { caCertificate: this.material.clientCa } : null;
  }

  private contextOptions(): SecureContextOptions {
    const { cert, key, clientCa } = this.material;
    return { cert, key, ...(clientCa ? { ca: clientCa } : {}) };
  }
}
