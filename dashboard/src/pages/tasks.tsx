import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, isAbort } from '../api';
import { StateBadge } from '../badge';
import { shortId, shortState } from '../format';
import { countsSignature, useRefreshOnChange } from '../live-refresh';
import { Empty, ErrorNotice, Loading } from '../notice';
import { type TaskFilter, taskHref, tasksHref } from '../router';
import { Time } from '../time';
import { type ListTasksResponse, type StatsSnapshot, TASK_STATES } from '../types';

const PAGE_SIZE = 50;

/** Mounted afresh for each filter (the route is its key), so paging starts over. */
export function TasksPage({ filter, stats }: { filter: TaskFilter; stats: StatsSnapshot | undefined }) {
  // Tokens of the pages visited, first page '' included: Previous pops one.
  const [tokens, setTokens] = useState<string[]>(['']);
  const [reload, setReload] = useState(0);
  const [data, setData] = useState<ListTasksResponse>();
  const [error, setError] = useState<string>();
  const pageToken = tokens[tokens.length - 1] ?? '';

  useEffect(() => {
    const ctl = new AbortController();
    api
      .listTasks(
        {
          state: filter.state ? `TASK_STATE_${filter.state}` : undefined,
          queue: filter.queue || undefined,
          type: filter.type || undefined,
          schedule: filter.schedule || undefined,
        },
        pageToken,
        PAGE_SIZE,
        ctl.signal,
      )
      .then(
        (res) => {
          setData(res);
          setError(undefined);
        },
        (err: unknown) => {
          if (isAbort(err)) return;
          setError(errorMessage(err));
        },
      );
    return () => ctl.abort();
  }, [pageToken, reload]);

  useRefreshOnChange(countsSignature(stats, filter.queue || undefined), () => setReload((n) => n + 1), 2000);

  const tasks = data?.tasks ?? [];
  const queueNames = (stats?.queues ?? []).map((q) => q.queue);

  return (
    <>
      <div class="page-head">
        <h1>Tasks</h1>
      </div>
      <Filters
        filter={filter}
        queues={queueNames}
        onApply={() => {
          setTokens(['']);
          setReload((n) => n + 1);
        }}
      />
      {error && <ErrorNotice message={error} />}
      {!data && !error && <Loading what="tasks" />}
      {data && tasks.length === 0 && <Empty>No tasks match.</Empty>}
      {tasks.length > 0 && (
        <div class="table-wrap">
          <table class="stack tasks">
            <thead>
              <tr>
                <th>ID</th>
                <th>Queue</th>
                <th>Type</th>
                <th>State</th>
                <th class="num">Attempt</th>
                <th>Created</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t.id} data-testid={`task-row-${t.id}`}>
                  <td data-label="ID">
                    <a class="mono id-link" href={taskHref(t.id)} title={t.id}>
                      {shortId(t.id)}
                    </a>
                  </td>
                  <td data-label="Queue">{t.queue || 'default'}</td>
                  <td data-label="Type">{t.type}</td>
                  <td data-label="State">
                    <StateBadge state={t.state} testid="task-state" />
                  </td>
                  <td data-label="Attempt" class="num">
                    {t.attempt ?? 0}/{t.maxAttempts || '—'}
                  </td>
                  <td data-label="Created">
                    <Time ts={t.createdAt} />
                  </td>
                  <td data-label="Updated">
                    <Time ts={t.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          data-testid="page-prev"
          disabled={tokens.length <= 1}
          onClick={() => setTokens((t) => (t.length > 1 ? t.slice(0, -1) : t))}
        >
          ← Previous
        </button>
        <span class="muted small">Page {tokens.length}</span>
        <button
          type="button"
          data-testid="page-next"
          disabled={!data?.nextPageToken}
          onClick={() => {
            const next = data?.nextPageToken;
            if (next) setTokens((t) => [...t, next]);
          }}
        >
          Next →
        </button>
      </nav>
    </>
  );
}

interface FiltersProps {
  filter: TaskFilter;
  queues: string[];
  /** Applying the filter already in the route changes no hash: reload instead. */
  onApply: () => void;
}

function Filters({ filter, queues, onApply }: FiltersProps) {
  const [state, setState] = useState(filter.state);
  const [queue, setQueue] = useState(filter.queue);
  const [type, setType] = useState(filter.type);
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        const next = { state, queue: queue.trim(), type: type.trim(), schedule: filter.schedule };
        const same = next.state === filter.state && next.queue === filter.queue && next.type === filter.type;
        if (same) onApply();
        else location.hash = tasksHref(next);
      }}
    >
      <label>
        <span>State</span>
        <select value={state} onChange={(e) => setState(e.currentTarget.value)} data-testid="filter-state">
          <option value="">Any</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={shortState(s)}>
              {shortState(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Queue</span>
        <input
          type="text"
          list="queue-names"
          value={queue}
          placeholder="any"
          onInput={(e) => setQueue(e.currentTarget.value)}
          data-testid="filter-queue"
        />
        <datalist id="queue-names">
          {queues.map((q) => (
            <option key={q} value={q} />
          ))}
        </datalist>
      </label>
      <label>
        <span>Type</span>
        <input
          type="text"
          value={type}
          placeholder="any"
          onInput={(e) => setType(e.currentTarget.value)}
          data-testid="filter-type"
        />
      </label>
      <div class="filter-buttons">
        <button type="submit" class="primary" data-testid="filter-apply">
          Apply
        </button>
        {(filter.state || filter.queue || filter.type || filter.schedule) && (
          <a class="button" href="#/tasks">
            Clear
          </a>
        )}
      </div>
      {filter.schedule && (
        <p class="chip-line small">
          From schedule <span class="chip mono">{filter.schedule}</span>
        </p>
      )}
    </form>
  );
}
