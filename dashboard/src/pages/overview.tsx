import { HistoryChart } from '../chart';
import { durationSeconds, fmtDuration, fmtRate, num, pct, timeMs } from '../format';
import { ErrorNotice, Empty, Loading } from '../notice';
import { tasksHref } from '../router';
import { Time } from '../time';
import type { QueueStats, StatsSnapshot, WorkerStats } from '../types';

const COUNTS = ['queued', 'running', 'scheduled', 'succeeded', 'dead', 'canceled'] as const;

export function OverviewPage({ stats, error }: { stats: StatsSnapshot | undefined; error: string | undefined }) {
  if (!stats) return error ? <ErrorNotice message={error} /> : <Loading what="stats" />;
  const now = timeMs(stats.takenAt) ?? Date.now();
  const queues = stats.queues ?? [];
  const workers = stats.workers ?? [];
  const total = (k: (typeof COUNTS)[number]): number => queues.reduce((a, q) => a + num(q[k]), 0);
  const slotsUsed = workers.reduce((a, w) => a + (w.slotsInUse ?? 0), 0);
  const slotsTotal = workers.reduce((a, w) => a + (w.slotsTotal ?? 0), 0);

  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <span class="muted small">
          as of <Time ts={stats.takenAt} now={now} />
        </span>
      </div>
      {error && <ErrorNotice message={error} />}
      <div class="summary">
        <Summary label="Running" value={total('running')} />
        <Summary label="Queued" value={total('queued')} />
        <Summary label="Scheduled" value={total('scheduled')} />
        <Summary label="Dead" value={total('dead')} tone={total('dead') > 0 ? 'bad' : undefined} />
        <Summary label="Workers" value={workers.length} detail={`${slotsUsed}/${slotsTotal} slots`} />
      </div>

      <h2>Queues</h2>
      {queues.length === 0 ? (
        <Empty>No queues yet. Submit a task and its queue appears here.</Empty>
      ) : (
        <div class="queue-grid">
          {queues.map((q) => (
            <QueueCard key={q.queue} q={q} takenAt={stats.takenAt} />
          ))}
        </div>
      )}
      {(stats.omittedQueues ?? 0) > 0 && (
        <p class="muted small">{stats.omittedQueues} more queues are not shown, to keep the snapshot small.</p>
      )}

      <h2>Workers</h2>
      {workers.length === 0 ? <Empty>No worker is connected.</Empty> : <WorkersTable workers={workers} now={now} />}
    </>
  );
}

function Summary({ label, value, detail, tone }: { label: string; value: number; detail?: string; tone?: 'bad' }) {
  return (
    <div class={`summary-item${tone ? ` ${tone}` : ''}`}>
      <span class="summary-value">{value}</span>
      <span class="summary-label">
        {label}
        {detail && <span class="muted"> · {detail}</span>}
      </span>
    </div>
  );
}

function QueueCard({ q, takenAt }: { q: QueueStats; takenAt: string | undefined }) {
  const completed = q.completedPerSecond ?? 0;
  const dead = q.deadPerSecond ?? 0;
  const oldest = durationSeconds(q.oldestReadyAge);
  return (
    <article class="card queue-card" data-testid={`queue-card-${q.queue}`}>
      <h3>
        <a href={tasksHref({ queue: q.queue })}>{q.queue}</a>
        {q.paused && (
          <a class="badge st-scheduled paused-badge" href="#/queues" data-testid="queue-card-paused" title="Paused: its tasks wait. Resume it on the Queues page.">
            paused
          </a>
        )}
      </h3>
      <div class="counts">
        {COUNTS.map((k) => (
          <a key={k} class={`count st-${k}`} href={tasksHref({ queue: q.queue, state: k.toUpperCase() })}>
            <span class="count-value" data-testid={`count-${k}`}>
              {num(q[k])}
            </span>
            <span class="count-label">{k}</span>
          </a>
        ))}
      </div>
      <dl class="rates">
        <div>
          <dt>Completed</dt>
          <dd>{fmtRate(completed)}/s</dd>
        </div>
        <div class={dead > 0 ? 'bad' : undefined}>
          <dt>Dead</dt>
          <dd>
            {fmtRate(dead)}/s
            {completed > 0 && dead > 0 && <span class="muted small block">{pct(Math.min(1, dead / completed))} failing</span>}
          </dd>
        </div>
        <div>
          <dt>Submitted</dt>
          <dd>{fmtRate(q.submittedPerSecond)}/s</dd>
        </div>
        <div class={oldest >= 60 ? 'warn' : undefined}>
          <dt>Oldest ready</dt>
          <dd>{oldest > 0 ? fmtDuration(oldest) : '—'}</dd>
        </div>
      </dl>
      <HistoryChart
        completed={q.completedHistory ?? []}
        dead={q.deadHistory ?? []}
        bucketSeconds={q.historyBucketSeconds || 10}
        takenAt={takenAt}
      />
    </article>
  );
}

function WorkersTable({ workers, now }: { workers: WorkerStats[]; now: number }) {
  return (
    <div class="table-wrap">
      <table class="stack">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Queues</th>
            <th>Slots</th>
            <th>Heartbeat</th>
            <th>Connected</th>
            <th>Principal</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => {
            const used = w.slotsInUse ?? 0;
            const cap = w.slotsTotal ?? 0;
            const beat = timeMs(w.lastHeartbeat);
            const silent = beat !== undefined && now - beat > 30_000;
            return (
              <tr key={w.workerId} data-testid={`worker-row-${w.workerId}`}>
                <td data-label="Worker">
                  <span class="mono">{w.workerId}</span>
                  {w.draining && <span class="badge st-scheduled draining">DRAINING</span>}
                  {w.hostname && <span class="muted small block">{w.hostname}</span>}
                </td>
                <td data-label="Queues">
                  {(w.queues ?? []).join(', ') || <span class="muted">default</span>}
                  {(w.omittedQueues ?? 0) > 0 && <span class="muted"> +{w.omittedQueues}</span>}
                </td>
                <td data-label="Slots">
                  <span class="slots">
                    <span data-testid="worker-slots">
                      {used}/{cap}
                    </span>
                    <span class="meter" aria-hidden="true">
                      <span style={{ width: `${cap > 0 ? Math.min(100, (used / cap) * 100) : 0}%` }} />
                    </span>
                  </span>
                </td>
                <td data-label="Heartbeat" class={silent ? 'warn' : undefined}>
                  <Time ts={w.lastHeartbeat} now={now} relative />
                </td>
                <td data-label="Connected">
                  <Time ts={w.connectedSince} now={now} relative />
                </td>
                <td data-label="Principal">
                  <span class="mono small">{w.principal || '—'}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
