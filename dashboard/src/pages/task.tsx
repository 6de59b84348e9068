import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useActions } from '../actions';
import { api, errorMessage, isAbort } from '../api';
import { OutcomeBadge, StateBadge } from '../badge';
import { traceLink } from '../config';
import { durationSeconds, fmtBytes, fmtDuration, fmtDurationField, fmtTime, pct, shortState, timeMs } from '../format';
import { ErrorNotice, Loading } from '../notice';
import { viewBody } from '../payload';
import { tasksHref } from '../router';
import { Time } from '../time';
import type { Attempt, Task } from '../types';
import { type ConnState, watch } from '../watch';

const UNFINISHED = new Set(['SCHEDULED', 'QUEUED', 'RUNNING']);
const RETRYABLE = new Set(['DEAD', 'CANCELED']);

/** Watch messages carry no payload or result: keep those from the last GetTask. */
function merge(prev: Task | undefined, next: Task): Task {
  if (!prev) return next;
  return {
    ...next,
    payload: prev.payload,
    contentType: next.contentType ?? prev.contentType,
    result: next.result ?? prev.result,
    resultContentType: next.resultContentType ?? prev.resultContentType,
    attempts: next.attempts ?? prev.attempts,
  };
}

/** A change of state or attempt means the attempts table is stale: fetch the task again. */
const phase = (t: Task): string => `${t.state ?? ''}/${t.attempt ?? 0}`;

export function TaskPage({ id, onConn }: { id: string; onConn: (s: ConnState) => void }) {
  const [task, setTask] = useState<Task>();
  const [error, setError] = useState<string>();
  // Bumped after an action: reload and watch again (a retried task is live once more).
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    let stopWatch: (() => void) | undefined;
    let refetchTimer: ReturnType<typeof setTimeout> | undefined;
    let lastPhase = '';
    let lastState = '';

    const refetch = (): void => {
      clearTimeout(refetchTimer);
      // Coalesces the burst of messages around a state change into one GetTask.
      refetchTimer = setTimeout(() => {
        api.getTask(id, ctl.signal).then(
          (res) => setTask(res.task),
          (err: unknown) => {
            if (!isAbort(err)) setError(errorMessage(err));
          },
        );
      }, 300);
    };

    onConn('connecting');
    api.getTask(id, ctl.signal).then(
      ({ task: first }) => {
        setTask(first);
        setError(undefined);
        lastPhase = phase(first);
        lastState = shortState(first.state);
        if (!UNFINISHED.has(lastState)) {
          onConn('ended'); // nothing more will happen to it: no stream to hold
          return;
        }
        stopWatch = watch({
          path: `/v1/tasks/${encodeURIComponent(id)}:watch`,
          idleTimeoutMs: 75_000,
          onState: onConn,
          onMessage: (data) => {
            let next: Task | undefined;
            try {
              next = (JSON.parse(data) as { task?: Task }).task;
            } catch {
              return;
            }
            if (!next) return;
            const msg = next;
            lastState = shortState(msg.state);
            setTask((prev) => merge(prev, msg));
            setError(undefined);
            if (phase(msg) !== lastPhase) {
              lastPhase = phase(msg);
              refetch();
            }
          },
          onEnd: (err) => {
            // A coordinator going away ends the stream with UNAVAILABLE: watch again.
            if (err && (err.status === 503 || err.code === 'UNAVAILABLE')) return true;
            if (err) {
              setError(err.message);
              return false;
            }
            refetch(); // the terminal state: the result is only in GetTask
            return UNFINISHED.has(lastState); // ended early: a proxy timeout, say
          },
          onRefused: (err) => {
            setError(err.message);
            return err.status === 0 || err.status >= 500;
          },
        });
      },
      (err: unknown) => {
        if (isAbort(err)) return;
        setError(errorMessage(err));
        onConn('idle');
      },
    );
    return () => {
      ctl.abort();
      clearTimeout(refetchTimer);
      stopWatch?.();
    };
  }, [id, generation]);

  if (!task) return error ? <ErrorNotice message={error} /> : <Loading what="task" />;
  return <TaskView task={task} error={error} onChanged={() => setGeneration((g) => g + 1)} />;
}

function TaskView({ task, error, onChanged }: { task: Task; error: string | undefined; onChanged: () => void }) {
  const { confirm } = useActions();
  const state = shortState(task.state);
  const trace = traceLink(task.traceContext?.traceparent);
  const labels = Object.entries(task.labels ?? {});
  const progress = task.progress;
  const percent = Math.min(100, Math.max(0, (progress?.fraction ?? 0) * 100));
  const created = timeMs(task.createdAt);
  const finished = timeMs(task.finishedAt);

  const cancel = (): void =>
    confirm({
      title: 'Cancel this task?',
      body: `Task ${task.id} (${task.type ?? ''}) will not run again; a running attempt is told to stop.`,
      confirmLabel: 'Cancel task',
      danger: true,
      run: async () => {
        await api.cancelTask(task.id);
        return 'Task canceled';
      },
      onDone: onChanged,
    });
  const retry = (): void =>
    confirm({
      title: 'Retry this task?',
      body: `Task ${task.id} goes back to its queue with a fresh attempt budget.`,
      confirmLabel: 'Retry task',
      run: async () => {
        await api.retryTask(task.id);
        return 'Task requeued';
      },
      onDone: onChanged,
    });

  return (
    <>
      <div class="page-head task-head">
        <div>
          <p class="muted small crumbs">
            <a href={tasksHref({ queue: task.queue ?? '' })}>{task.queue || 'default'}</a> / {task.type}
          </p>
          <h1 class="mono task-id">{task.id}</h1>
        </div>
        <div class="head-actions">
          <StateBadge state={task.state} testid="task-state" />
          {UNFINISHED.has(state) && (
            <button type="button" class="danger" data-testid="action-cancel" onClick={cancel}>
              Cancel
            </button>
          )}
          {RETRYABLE.has(state) && (
            <button type="button" class="primary" data-testid="action-retry" onClick={retry}>
              Retry
            </button>
          )}
        </div>
      </div>
      {error && <ErrorNotice message={error} />}

      {progress && (
        <section class="card progress-card" data-testid="task-progress">
          {finished !== undefined && <h2>Last progress, before the task ended</h2>}
          <div class="progress-line">
            <strong>{pct(progress.fraction ?? 0)}</strong>
            <span class="progress-msg">{progress.message}</span>
          </div>
          <div class="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}>
            <span style={{ width: `${percent}%` }} />
          </div>
          {progress.updatedAt && <p class="muted small">reported {fmtTime(progress.updatedAt)}</p>}
        </section>
      )}

      {task.lastError && (
        <section class="card error-card">
          <h2>Last error</h2>
          <pre data-testid="task-error">{task.lastError}</pre>
        </section>
      )}

      <section class="card">
        <dl class="fields">
          <Field label="Queue">
            <a href={tasksHref({ queue: task.queue ?? '' })}>{task.queue || 'default'}</a>
          </Field>
          <Field label="Type">{task.type}</Field>
          <Field label="Attempt">
            {task.attempt ?? 0} of {task.maxAttempts || 'default'}
            {(task.infrastructureFailures ?? 0) > 0 && (
              <span class="muted">
                {' '}
                · {task.infrastructureFailures} infrastructure failure{task.infrastructureFailures === 1 ? '' : 's'}
              </span>
            )}
          </Field>
          <Field label="Priority">{task.priority ?? 0}</Field>
          <Field label="Created">{fmtTime(task.createdAt)}</Field>
          <Field label="Updated">{fmtTime(task.updatedAt)}</Field>
          <Field label="Run at">{fmtTime(task.runAt)}</Field>
          <Field label="Finished">
            {fmtTime(task.finishedAt)}
            {finished !== undefined && created !== undefined && (
              <span class="muted"> · {fmtDuration((finished - created) / 1000)} after creation</span>
            )}
          </Field>
          <Field label="Timeout">{durationSeconds(task.timeout) > 0 ? fmtDurationField(task.timeout) : 'none'}</Field>
          {task.retry && (
            <Field label="Retry policy">
              {[
                task.retry.initialBackoff && `initial ${fmtDurationField(task.retry.initialBackoff)}`,
                task.retry.multiplier !== undefined && `×${task.retry.multiplier}`,
                task.retry.maxBackoff && `max ${fmtDurationField(task.retry.maxBackoff)}`,
                task.retry.jitter !== undefined && `jitter ${task.retry.jitter}`,
                task.retry.maxInfrastructureFailures !== undefined &&
                  `${task.retry.maxInfrastructureFailures} infrastructure failures allowed`,
              ]
                .filter(Boolean)
                .join(', ') || 'defaults'}
            </Field>
          )}
          {task.idempotencyKey && <Field label="Idempotency key" mono>{task.idempotencyKey}</Field>}
          {task.fairnessKey && <Field label="Fairness key" mono>{task.fairnessKey}</Field>}
          {task.schedule && (
            <Field label="Schedule">
              <a href={tasksHref({ schedule: task.schedule })}>{task.schedule}</a>
              {task.scheduleFireTime && <span class="muted"> · fire time {fmtTime(task.scheduleFireTime)}</span>}
            </Field>
          )}
          {task.traceContext?.traceparent && (
            <Field label="Trace">
              {trace ? (
                <a
                  href={trace}
                  target="_blank"
                  rel="noopener noreferrer"
                  data-testid="trace-link"
                  title={task.traceContext.traceparent}
                >
                  Open trace ↗
                </a>
              ) : (
                <span class="mono small">{task.traceContext.traceparent}</span>
              )}
            </Field>
          )}
          {labels.length > 0 && (
            <Field label="Labels">
              <span class="chips">
                {labels.map(([k, v]) => (
                  <span key={k} class="chip mono">
                    {k}={v}
                  </span>
                ))}
              </span>
            </Field>
          )}
        </dl>
      </section>

      <div class="bodies">
        <section class="card">
          <h2>Payload</h2>
          <Body value={task.payload} contentType={task.contentType} testid="task-payload" />
        </section>
        <section class="card">
          <h2>Result</h2>
          {state === 'SUCCEEDED' ? (
            <Body value={task.result} contentType={task.resultContentType} testid="task-result" />
          ) : (
            <p class="muted" data-testid="task-result">
              {UNFINISHED.has(state) ? 'Not finished yet.' : 'No result: the task did not succeed.'}
            </p>
          )}
        </section>
      </div>

      <section>
        <h2>Attempts</h2>
        <Attempts attempts={task.attempts ?? []} />
      </section>
    </>
  );
}

function Field({ label, mono, children }: { label: string; mono?: boolean; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

function Body({ value, contentType, testid }: { value: unknown; contentType: string | undefined; testid: string }) {
  const view = viewBody(value, contentType);
  switch (view.kind) {
    case 'empty':
      return (
        <p class="muted" data-testid={testid}>
          Empty.
        </p>
      );
    case 'json':
    case 'text':
      return (
        <pre class="body" data-testid={testid}>
          {view.text}
        </pre>
      );
    case 'binary':
      return (
        <p class="muted" data-testid={testid}>
          {fmtBytes(view.bytes)} of {view.contentType}
        </p>
      );
  }
}

function Attempts({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p class="muted">No attempt yet.</p>;
  return (
    <div class="table-wrap">
      <table class="stack">
        <thead>
          <tr>
            <th>#</th>
            <th>Worker</th>
            <th>Started</th>
            <th>Ended</th>
            <th>Duration</th>
            <th>Outcome</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => {
            const start = timeMs(a.startedAt);
            const end = timeMs(a.endedAt);
            return (
              <tr key={a.number ?? a.leaseId} data-testid={`attempt-row-${a.number ?? 0}`}>
                <td data-label="#" class="num">
                  {a.number ?? 0}
                </td>
                <td data-label="Worker">
                  <span class="mono small">{a.workerId || '—'}</span>
                </td>
                <td data-label="Started">
                  <Time ts={a.startedAt} />
                </td>
                <td data-label="Ended">
                  <Time ts={a.endedAt} />
                </td>
                <td data-label="Duration" class="num">
                  {start !== undefined && end !== undefined ? fmtDuration((end - start) / 1000) : '—'}
                </td>
                <td data-label="Outcome">
                  <OutcomeBadge outcome={a.outcome} testid="attempt-outcome" />
                </td>
                <td data-label="Error" class="attempt-error">
                  <span data-testid="attempt-error">{a.error ?? ''}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
