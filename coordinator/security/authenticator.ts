import type { PeerCertificate } from 'node:tls';
import { PermissionDeniedError, UnauthenticatedError } from '../../shared/errors';
import { ANONYMOUS, type Principal, type Role } from './principal';
import type { TokenRegistry } from './token-registry';

/** What a call or request presents: its `authorization` header values and the client certificate, if any. */
export interface PresentedCredentials {
  readonly authorization: readonly string[];
  /** Only present (and already verified against the client CA) on an mTLS connection. */
  readonly certificate: PeerCertificate | undefined;
}

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/**
 * Turns presented credentials into a Principal: the one place, for gRPC and HTTP alike, that
 * decides who a caller is. With a tokens file, every caller needs a valid token (its role and
 * queues come from the file); without one, a verified client certificate or nothing at all
 * makes an admin (the certificate authority, or the loopback bind, is then the boundary).
 */
export class Authenticator {
  constructor(private tokens: TokenRegistry | undefined) {}

  /** True when callers must present a token. */
  get requiresToken(): boolean {
    return this.tokens !== undefined;
  }

  /** Swaps the accepted tokens (SIGHUP): calls already authenticated keep their principal. */
  replaceTokens(tokens: TokenRegistry | undefined): void {
    this.tokens = tokens;
  }

  /** @throws UnauthenticatedError for a missing, malformed or unknown token. */
  authenticate(presented: PresentedCredentials): Principal {
    const certId = presented.certificate ? certificateIdentity(presented.certificate) : undefined;
    if (this.tokens === undefined) return certId === undefined ? ANONYMOUS : { id: certId, role: 'admin', queues: null };
    if (presented.authorization.length === 0) {
      throw new UnauthenticatedError('missing credentials: send "authorization: Bearer TOKEN" (gRPC metadata or HTTP header)');
    }
    const match = presented.authorization.length === 1 ? BEARER.exec(presented.authorization[0] ?? '') : null;
    if (!match?.[1]) throw new UnauthenticatedError('malformed authorization: expected exactly one "Bearer TOKEN"');
    const grant = this.tokens.verify(match[1]);
    if (!grant) throw new UnauthenticatedError('invalid token');
    // A certificate is the stronger identity; the token still decides what the caller may do.
    return { id: certId ?? `token:${grant.name}`, role: grant.role, queues: grant.queues, grant: grant.hash.toString('hex') };
  }

  /**
   * The principal as the credentials in force now see it (after a reload): the same
   * identity with its token's current role and queues.
   * @throws UnauthenticatedError when its token was removed.
   */
  recheck(principal: Principal): Principal {
    if (principal.grant === undefined) return principal;
    const grant = this.tokens?.byHash(principal.grant);
    if (!grant) throw new UnauthenticatedError('the token of this call was revoked');
    return { ...principal, role: grant.role, queues: grant.queues };
  }
}

/** `cert:` and the subject's common name, or its fingerprint when it has none. */
function certificateIdentity(certificate: PeerCertificate): string {
  const cn = certificate.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return `cert:${name && name !== '' ? name : certificate.fingerprint256}`;
}

/**
 * @throws PermissionDeniedError unless the principal's role is one of `roles` (admin always is).
 */
export function requireRole(principal: Principal, roles: readonly Role[], what: string): void {
  if (principal.role === 'admin' || roles.includes(principal.role)) return;
  throw new PermissionDeniedError(`${what} needs the ${roles.join(' or ')} role; this credential has the ${principal.role} role`);
}

/** @throws PermissionDeniedError when the principal is limited to other queues. */
export function requireQueue(principal: Principal, queue: string, what: string): void {
  if (principal.queues === null || principal.queues.has(queue)) return;
  throw new PermissionDeniedError(`${what}: queue ${queue} is not among this credential's queues (${[...principal.queues].join(', ')})`);
}
