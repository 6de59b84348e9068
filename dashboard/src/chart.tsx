import { fmtTimeShort, timeMs } from './format';

interface Props {
  completed: number[];
  dead: number[];
  bucketSeconds: number;
  /** The snapshot's time: the end of the newest bucket. */
  takenAt: string | undefined;
}

const W = 300;
const H = 60;

/**
 * Completions per bucket as bars, the part of each that went DEAD stacked in red (dead
 * tasks are counted among the completed). The newest bucket is still filling, so it is
 * drawn lighter rather than read as a sudden drop.
 */
export function HistoryChart({ completed, dead, bucketSeconds, takenAt }: Props) {
  const n = Math.max(completed.length, dead.length);
  if (n === 0) return <div class="chart-empty muted" data-testid="queue-chart">No history</div>;
  const max = Math.max(1, ...completed, ...dead);
  const slot = W / n;
  const gap = Math.min(2, slot * 0.2);
  const end = timeMs(takenAt) ?? Date.now();
  const totalCompleted = completed.reduce((a, b) => a + b, 0);
  const totalDead = dead.reduce((a, b) => a + b, 0);
  const minutes = Math.round((n * bucketSeconds) / 60);
  const label = `Last ${minutes} minutes: ${totalCompleted} completed, ${totalDead} dead`;
  const bars = [];
  for (let i = 0; i < n; i++) {
    const c = completed[i] ?? 0;
    const d = dead[i] ?? 0;
    const total = Math.max(c, d);
    const x = i * slot + gap / 2;
    const w = slot - gap;
    const hAll = (total / max) * H;
    const hDead = (d / max) * H;
    // Buckets are aligned to whole multiples of their width (the coordinator's RateWindow); the last one holds `end`.
    const bucketMs = bucketSeconds * 1000;
    const bucketStart = (Math.floor(end / bucketMs) - (n - 1 - i)) * bucketMs;
    const when = fmtTimeShort(new Date(bucketStart).toISOString());
    bars.push(
      <g key={i} class={i === n - 1 ? 'filling' : undefined}>
        <title>{`${when} +${bucketSeconds}s: ${c} completed, ${d} dead`}</title>
        <rect class="hit" x={i * slot} y={0} width={slot} height={H} />
        {hAll > 0 && <rect class="ok" x={x} y={H - hAll} width={w} height={hAll - hDead} />}
        {hDead > 0 && <rect class="bad" x={x} y={H - hDead} width={w} height={hDead} />}
      </g>,
    );
  }
  return (
    <figure class="chart" data-testid="queue-chart">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
        <title>{label}</title>
        <line class="axis" x1={0} y1={H - 0.5} x2={W} y2={H - 0.5} />
        {bars}
      </svg>
      <figcaption>
        <span>−{minutes} min</span>
        <span class="legend">
          <i class="key ok" /> completed <i class="key bad" /> dead · peak {max}/{bucketSeconds}s
        </span>
        <span>now</span>
      </figcaption>
    </figure>
  );
}
