import { useEffect, useRef } from 'preact/hooks';
import { num } from './format';
import type { StatsSnapshot } from './types';

/**
 * What changes when tasks change: the counts by state of the queues a view shows. Lists
 * are refreshed from this instead of being polled, so an idle coordinator costs nothing.
 */
export function countsSignature(stats: StatsSnapshot | undefined, queue?: string): string | undefined {
  if (!stats) return undefined;
  const parts: string[] = [];
  for (const q of stats.queues ?? []) {
    if (queue && q.queue !== queue) continue;
    parts.push(
      `${q.queue}:${num(q.scheduled)},${num(q.queued)},${num(q.running)},${num(q.succeeded)},${num(q.dead)},${num(q.canceled)}`,
    );
  }
  return parts.join('|');
}

/**
 * Calls `refresh` when `signature` changes, at most once per `minIntervalMs`; a change
 * inside the interval is not lost but deferred to its end.
 */
export function useRefreshOnChange(signature: string | undefined, refresh: () => void, minIntervalMs: number): void {
  const seen = useRef(signature);
  const last = useRef(Date.now()); // the page's own first load counts as a refresh
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(refresh);
  latest.current = refresh;

  useEffect(() => {
    if (signature === undefined) return;
    if (seen.current === undefined) {
      seen.current = signature;
      return;
    }
    if (signature === seen.current) return;
    seen.current = signature;
    if (timer.current !== undefined) return;
    const fire = (): void => {
      timer.current = undefined;
      last.current = Date.now();
      latest.current();
    };
    const wait = last.current + minIntervalMs - Date.now();
    if (wait <= 0) fire();
    else timer.current = setTimeout(fire, wait);
  }, [signature]);

  useEffect(() => () => clearTimeout(timer.current), []);
}
