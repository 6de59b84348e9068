import { useEffect, useState } from 'preact/hooks';
import { useActions } from '../actions';
import { api, errorMessage, isAbort } from '../api';
import { durationSeconds, fmtDuration, num } from '../format';
import { useRefreshOnChange } from '../live-refresh';
import { Empty, ErrorNotice, Loading } from '../notice';
import { tasksHref } from '../router';
import type { Queue, QueueStats, StatsSnapshot } from '../types';

export function QueuesPage({ stats }: { stats: StatsSnapshot | undefined }) {
  const [queues, setQueues] = useState<Queue[]>();
  const [error, setError] = useState<string>();
  const [reload, setReload] = useState(0);
  const { confirm } = useActions();

  useEffect(() => {
    const ctl = new AbortController();
    api.listQueues(ctl.signal).then(
      (res) => {
        setQueues(res.queues ?? []);
        setError(undefined);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorMessage(err));
      },
    );
    return () => ctl.abort();
  }, [reload]);

  // Depths come live from the stats stream; the list itself only when a queue appears or goes.
  const live = new Map<string, QueueStats>((stats?.queues ?? []).map((q) => [q.queue, q]));
  const names = stats ? [...live.keys()].sort().join('|') : undefined;
  useRefreshOnChange(names, () => setReload((n) => n + 1), 2000);

  const act = (q: Queue, pause: boolean): void =>
    confirm({
      title: `${pause ? 'Pause' : 'Resume'} queue ${q.name}?`,
      body: pause
        ? 'The queue keeps accepting tasks but starts none until it is resumed. Running tasks finish.'
        : 'Workers start taking its ready tasks again.',
      confirmLabel: pause ? 'Pause queue' : 'Resume queue',
      danger: pause,
      run: async () => {
        if (pause) await api.pauseQueue(q.name);
        else await api.resumeQueue(q.name);
        return `Queue ${q.name} ${pause ? 'paused' : 'resumed'}`;
      },
      onDone: () => setReload((n) => n + 1),
    });

  return (
    <>
      <div class="page-head">
        <h1>Queues</h1>
      </div>
      {error && <ErrorNotice message={error} />}
      {!queues && !error && <Loading what="queues" />}
      {queues && queues.length === 0 && <Empty>No queues have tasks or settings yet.</Empty>}
      {queues && queues.length > 0 && (
        <div class="table-wrap">
          <table class="stack">
            <thead>
              <tr>
                <th>Queue</th>
                <th>State</th>
                <th class="num">Running</th>
                <th class="num">Queued</th>
                <th class="num">Scheduled</th>
                <th>Concurrency</th>
                <th>Rate</th>
                <th class="num">Weight</th>
                <th>Retention</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => {
                const s = q.settings ?? {};
                const depth = live.get(q.name) ?? q;
                return (
                  <tr key={q.name} data-testid={`queue-row-${q.name}`}>
                    <td data-label="Queue">
                      <a href={tasksHref({ queue: q.name })}>{q.name}</a>
                    </td>
                    <td data-label="State">
                      <span class={`badge ${s.paused ? 'st-scheduled' : 'st-succeeded'}`} data-testid={`queue-paused-${q.name}`}>
                        {s.paused ? 'paused' : 'active'}
                      </span>
                    </td>
                    <td data-label="Running" class="num">
                      {num(depth.running)}
                    </td>
                    <td data-label="Queued" class="num">
                      {num(depth.queued)}
                    </td>
                    <td data-label="Scheduled" class="num">
                      {num(depth.scheduled)}
                    </td>
                    <td data-label="Concurrency">{s.concurrency ? s.concurrency : <span class="muted">no limit</span>}</td>
                    <td data-label="Rate">
                      {s.rate ? (
                        <>
                          {s.rate}/s, burst {s.burst || Math.max(1, Math.ceil(s.rate))}
                        </>
                      ) : (
                        <span class="muted">no limit</span>
                      )}
                    </td>
                    <td data-label="Weight" class="num">
                      {s.weight || 1}
                    </td>
                    <td data-label="Retention">
                      {retention(s.retention, '7 d')} <span class="muted">· dead {retention(s.deadRetention, '30 d')}</span>
                    </td>
                    <td class="row-actions">
                      {s.paused ? (
                        <button
                          type="button"
                          class="primary"
                          data-testid={`action-resume-${q.name}`}
                          onClick={() => act(q, false)}
                        >
                          Resume
                        </button>
                      ) : (
                        <button type="button" data-testid={`action-pause-${q.name}`} onClick={() => act(q, true)}>
                          Pause
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Unset means the default; zero means kept forever (queue.proto). */
function retention(d: string | undefined, fallback: string): string {
  if (d === undefined) return fallback;
  const s = durationSeconds(d);
  return s === 0 ? 'forever' : fmtDuration(s);
}
