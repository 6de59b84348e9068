import { BatonError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';

/** How often, at most, a refusal is logged; the ones in between are counted into the next line. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Makes refused credentials visible to operators (UNAUTHENTICATED, PERMISSION_DENIED)
 * without letting a caller who is refused on purpose flood the log: at most one warn line
 * per interval, saying how many were refused since the last one. Every refusal is counted.
 */
export class RefusalLog {
  private lastLoggedMs = -Infinity;
  private since = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly count: (code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED') => void,
  ) {}

  /** Notes `err` if it is a refusal of credentials; anything else is ignored. */
  note(method: string, err: unknown, peer: string): void {
    if (!(err instanceof BatonError) || (err.code !== 'UNAUTHENTICATED' && err.code !== 'PERMISSION_DENIED')) return;
    this.count(err.code);
    this.since += 1;
    const nowMs = this.now();
    if (nowMs - this.lastLoggedMs < REFUSAL_LOG_INTERVAL_MS) return;
    this.logger.warn({ method, code: err.code, err_message: err.message, peer, refused_since_last_line: this.since }, 'refused a call');
    this.lastLoggedMs = nowMs;
    this.since = 0;
  }
}
