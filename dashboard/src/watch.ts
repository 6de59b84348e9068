import { type ApiError, errorFrom, errorFromEnd } from './api';
import { authHeaders } from './auth';
import { readSse } from './sse';

/** What the header shows of the one stream the page holds. */
export type ConnState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'idle';

export interface WatchOptions {
  path: string;
  onMessage: (data: string) => void;
  onState: (state: ConnState) => void;
  /** The stream sent `event: end`: return true to connect again (after a backoff). */
  onEnd: (error: ApiError | undefined) => boolean;
  /** The coordinator refused the stream (not a 401, which shows sign-in): true to try again. */
  onRefused: (error: ApiError) => boolean;
  /**
   * Reconnect when nothing at all (not even a keep-alive) arrived for this long: a
   * half-open connection would otherwise look live forever.
   */
  idleTimeoutMs: number;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;

/** Opens a reconnecting SSE stream; the returned function closes it for good. */
export function watch(o: WatchOptions): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const retryLater = (): void => {
    if (stopped) return;
    o.onState('reconnecting');
    // Jittered, so that a coordinator restart is not met by every tab at the same instant.
    const delay = Math.min(MIN_BACKOFF_MS * 2 ** failures, MAX_BACKOFF_MS) * (0.75 + Math.random() * 0.5);
    failures++;
    retryTimer = setTimeout(() => void connect(), delay);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const ctl = new AbortController();
    controller = ctl;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => ctl.abort(), o.idleTimeoutMs);
    };
    try {
      touch();
      const res = await fetch(o.path, {
        headers: { Accept: 'text/event-stream', ...authHeaders() },
        signal: ctl.signal,
        cache: 'no-store',
      });
      if (!res.ok) {
        const err = await errorFrom(res);
        if (res.status === 401 || !o.onRefused(err)) {
          stopped = true;
          o.onState('idle');
        }
      } else if (res.body) {
        o.onState('live');
        await readSse(
          res.body,
          (e) => {
            if (stopped) return;
            if (e.event === 'end') {
              if (!o.onEnd(errorFromEnd(e.data))) {
                stopped = true;
                o.onState('ended');
              }
              ctl.abort();
            } else if (e.event === 'message') {
              failures = 0;
              o.onMessage(e.data);
            }
          },
          touch,
        );
      }
    } catch {
      // Aborted, or the network dropped: either way the decision is made below.
    } finally {
      clearTimeout(idleTimer);
    }
    retryLater();
  };

  o.onState('connecting');
  void connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    controller?.abort();
  };
}
