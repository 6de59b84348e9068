import { ANONYMOUS_PRINCIPAL } from '../core/worker-channel';

/**
 * Who is calling, as the coordinator's credentials establish it. Three roles (see
 * docs/security.md): a client submits and reads tasks, a worker speaks only the worker
 * service, an admin may do everything.
 */
export type Role = 'client' | 'worker' | 'admin';

export const ROLES: readonly Role[] = ['client', 'worker', 'admin'];

export interface Principal {
  /**
   * Stable identity of the credential: `token:NAME`, `cert:SUBJECT` or `anonymous`. Worker
   * ids live inside it: one credential can never reach another's workers.
   */
  readonly id: string;
  readonly role: Role;
  /** The queues the credential is limited to; null for all. */
  readonly queues: ReadonlySet<string> | null;
  /**
   * The token grant behind the role and queues (the hex SHA-256 of the token), so that a
   * reload can tell whether it still stands; undefined when no token is involved.
   */
  readonly grant?: string;
}

/** With neither tokens nor client certificates configured, every caller is this one (the open, loopback default). */
export const ANONYMOUS: Principal = { id: ANONYMOUS_PRINCIPAL, role: 'admin', queues: null };
