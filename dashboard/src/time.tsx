import { fmtRelative, fmtTime, fmtTimeShort } from './format';

/**
 * A timestamp in a table: short on screen, the full local time (and how long ago) on hover.
 * `now` is the coordinator's clock when a snapshot gives it, so that skew does not show.
 */
export function Time({ ts, now, relative }: { ts: string | undefined; now?: number; relative?: boolean }) {
  if (!ts) return <span class="muted">—</span>;
  const full = fmtTime(ts);
  const rel = fmtRelative(ts, now);
  return (
    <time dateTime={ts} title={relative ? full : `${full} (${rel})`}>
      {relative ? rel : fmtTimeShort(ts, now)}
    </time>
  );
}
