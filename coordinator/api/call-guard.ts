import type { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { InvalidArgumentError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { requireRole, type Authenticator } from '../security/authenticator';
import type { Principal, Role } from '../security/principal';
import type { RefusalLog } from './refusal-log';
import { UndecodableMessage } from './strict-decoding';

/** What the guard reads of any grpc-js server call. */
export interface ServerSurfaceCall {
  readonly metadata: Metadata;
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
  getPeer(): string;
}

/**
 * What every RPC passes before its handler runs: its request decoded, its caller
 * authenticated and allowed the method. Unary calls, WatchTask and each Connect stream all
 * come through here.
 */
export class CallGuard {
  private readonly open = new Set<OpenCall>();

  constructor(
    private readonly authenticator: Authenticator,
    readonly logger: Logger,
    /** Where refused credentials are reported; by default only logged at debug with the rest. */
    readonly refusals?: RefusalLog,
  ) {}

  /** Reports a call that failed with `err`: refused credentials reach the operator (sampled). */
  failed(call: ServerSurfaceCall, method: string, err: unknown): void {
    this.refusals?.note(method, err, call.getPeer());
  }

  /**
   * Keeps a long-lived call (a worker stream, a watch) answerable to the credentials: after
   * each reload, `stillAllowed` gets the caller as the new credentials see it and throws if
   * the call may no longer go on; then, or when the token is gone, `revoke` ends the call.
   * @returns the function that stops tracking (call it when the call ends).
   */
  track(caller: Principal, stillAllowed: (current: Principal) => void, revoke: (err: unknown) => void): () => void {
    const call: OpenCall = { caller, stillAllowed, revoke };
    this.open.add(call);
    return () => this.open.delete(call);
  }

  /**
   * The caller as the credentials in force now see it: a call admitted before a reload may
   * only act (say, a worker stream's Hello) as what the new credentials allow.
   * @throws UnauthenticatedError when its token was revoked.
   */
  current(caller: Principal): Principal {
    return this.authenticator.recheck(caller);
  }

  /** Re-checks every tracked call against the credentials in force; returns how many were ended. */
  revalidate(): number {
    let revoked = 0;
    for (const call of [...this.open]) {
      try {
        call.stillAllowed(this.authenticator.recheck(call.caller));
      } catch (err: unknown) {
        this.open.delete(call);
        revoked += 1;
        call.revoke(err);
      }
    }
    return revoked;
  }

  /**
   * @throws BatonError INVALID_ARGUMENT for an undecodable request, UNAUTHENTICATED,
   *   PERMISSION_DENIED.
   */
  admit<Req>(call: ServerSurfaceCall, request: Req | UndecodableMessage, method: string, roles: readonly Role[]): { request: Req; caller: Principal } {
    const caller = this.authenticate(call);
    requireRole(caller, roles, method);
    return { request: decoded(request, method), caller };
  }

  /** @throws UnauthenticatedError */
  authenticate(call: ServerSurfaceCall): Principal {
    return this.authenticator.authenticate({
      authorization: headerValues(call.metadata, 'authorization'),
      certificate: call.getAuthContext()?.sslPeerCertificate,
    });
  }
}

interface OpenCall {
  readonly caller: Principal;
  readonly stillAllowed: (current: Principal) => void;
  readonly revoke: (err: unknown) => void;
}

/** @throws InvalidArgumentError when the message could not be decoded. */
export function decoded<Req>(request: Req | UndecodableMessage, what: string): Req {
  if (request instanceof UndecodableMessage) throw new InvalidArgumentError(`${what}: the message cannot be decoded: ${request.reason}`);
  return request;
}

function headerValues(metadata: Metadata, key: string): string[] {
  return metadata.get(key).map((value) => (typeof value === 'string' ? value : value.toString('latin1')));
}

/**
 * The peer of a call that came over the HTTP/JSON API: `http:ADDRESS`, without the port,
 * since each HTTP/1.1 stream holds a connection of its own. Limits per connection apply to
 * such a peer per client address, and HTTP/2's reset budget does not apply to it.
 */
export const HTTP_PEER_PREFIX = 'http:';

/** Identifies the connection a call came on (remote address and port), for per-connection limits. */
export function connectionOf(call: ServerSurfaceCall): string {
  return call.getPeer();
}
