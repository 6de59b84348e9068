import { useEffect, useState } from 'preact/hooks';
import { useActions } from '../actions';
import { api, errorMessage, isAbort } from '../api';
import { StateBadge } from '../badge';
import { durationSeconds, fmtDuration, fmtDurationField, fmtInZone, fmtRelative, fmtTime, num, shortEnum, shortId, timeMs } from '../format';
import { countsSignature, useRefreshOnChange } from '../live-refresh';
import { Empty, ErrorNotice, Loading } from '../notice';
import { taskHref, tasksHref } from '../router';
import type { Schedule, StatsSnapshot } from '../types';

/** More than this many pages of 1000 is not a dashboard's job. */
const MAX_PAGES = 5;

async function listAll(signal: AbortSignal): Promise<{ schedules: Schedule[]; truncated: boolean }> {
  const schedules: Schedule[] = [];
  let token = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.listSchedules(token, signal);
    schedules.push(...(res.schedules ?? []));
    token = res.nextPageToken ?? '';
    if (!token) return { schedules, truncated: false };
  }
  return { schedules, truncated: true };
}

export function SchedulesPage({ stats }: { stats: StatsSnapshot | undefined }) {
  const [list, setList] = useState<{ schedules: Schedule[]; truncated: boolean }>();
  const [error, setError] = useState<string>();
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<string>();
  const { confirm } = useActions();

  useEffect(() => {
    const ctl = new AbortController();
    listAll(ctl.signal).then(
      (res) => {
        setList(res);
        setError(undefined);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(errorMessage(err));
      },
    );
    return () => ctl.abort();
  }, [reload]);

  // Fires submit tasks, which the counts show (slowly: most count changes are not fires);
  // and the next fire time, once past, is stale.
  useRefreshOnChange(countsSignature(stats), () => setReload((n) => n + 1), 10_000);
  useEffect(() => {
    const now = Date.now();
    const next = (list?.schedules ?? [])
      .filter((s) => !s.paused)
      .map((s) => timeMs(s.nextFireTimes?.[0]))
      .filter((t): t is number => t !== undefined && t > now - 60_000);
    if (next.length === 0) return undefined;
    const wait = Math.max(5000, Math.min(...next) - now + 1500);
    const t = setTimeout(() => setReload((n) => n + 1), Math.min(wait, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [list]);

  const refresh = (): void => setReload((n) => n + 1);

  const trigger = (s: Schedule): void =>
    confirm({
      title: `Trigger ${s.spec.name} now?`,
      body: 'Submits one task from its template now, whether the schedule is paused or not and whatever its overlap policy.',
      confirmLabel: 'Trigger now',
      run: async () => {
        const { task } = await api.triggerSchedule(s.spec.name);
        return {
          kind: 'ok',
          text: `Triggered ${s.spec.name}: task ${shortId(task.id)}`,
          href: taskHref(task.id),
          linkText: 'Open task',
        };
      },
      onDone: refresh,
    });
  const setPaused = (s: Schedule, pause: boolean): void =>
    confirm({
      title: `${pause ? 'Pause' : 'Resume'} schedule ${s.spec.name}?`,
      body: pause
        ? 'It stops firing. Fire times while it is paused are dropped, not caught up.'
        : 'It fires again from its next fire time on; fire times missed while paused are not caught up.',
      confirmLabel: pause ? 'Pause schedule' : 'Resume schedule',
      danger: pause,
      run: async () => {
        if (pause) await api.pauseSchedule(s.spec.name);
        else await api.resumeSchedule(s.spec.name);
        return `Schedule ${s.spec.name} ${pause ? 'paused' : 'resumed'}`;
      },
      onDone: refresh,
    });

  const schedules = list?.schedules ?? [];
  return (
    <>
      <div class="page-head">
        <h1>Schedules</h1>
      </div>
      {error && <ErrorNotice message={error} />}
      {!list && !error && <Loading what="schedules" />}
      {list && schedules.length === 0 && <Empty>No schedules. Create one with `baton schedule create`.</Empty>}
      {schedules.length > 0 && (
        <div class="table-wrap">
          <table class="stack schedules">
            <thead>
              <tr>
                <th>Schedule</th>
                <th>When</th>
                <th>Task</th>
                <th>State</th>
                <th>Next fire</th>
                <th title="The latest fire time dealt with: fired, skipped, or passed while paused; at creation, the creation time">Caught up to</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => {
                const name = s.spec.name;
                const tmpl = s.spec.task ?? {};
                const next = s.nextFireTimes?.[0];
                return [
                  <tr key={name} data-testid={`schedule-row-${name}`}>
                    <td data-label="Schedule">
                      <span class="mono">{name}</span>
                    </td>
                    <td data-label="When">
                      {s.spec.cron ? (
                        <code>{s.spec.cron}</code>
                      ) : (
                        <>every {fmtDurationField(s.spec.every)}</>
                      )}
                      <span class="muted small block">{s.spec.cron ? s.spec.timezone || 'UTC' : ''}</span>
                    </td>
                    <td data-label="Task">
                      <a href={tasksHref({ schedule: name })}>
                        {tmpl.queue || 'default'} / {tmpl.type}
                      </a>
                    </td>
                    <td data-label="State">
                      <span class={`badge ${s.paused ? 'st-scheduled' : 'st-succeeded'}`} data-testid={`schedule-paused-${name}`}>
                        {s.paused ? 'paused' : 'active'}
                      </span>
                    </td>
                    <td data-label="Next fire">
                      {next ? (
                        <span title={fmtTime(next)}>
                          {fmtTime(next)}
                          {s.spec.cron && <span class="muted small block">{fmtInZone(next, s.spec.timezone || 'UTC')}</span>}
                          <span class="muted small block">{fmtRelative(next)}</span>
                        </span>
                      ) : (
                        <span class="muted">none</span>
                      )}
                    </td>
                    <td data-label="Caught up to">
                      {s.lastFireTime ? fmtTime(s.lastFireTime) : <span class="muted">never</span>}
                      {num(s.skippedFires) > 0 && <span class="muted small block">{num(s.skippedFires)} skipped</span>}
                    </td>
                    <td class="row-actions">
                      <button type="button" data-testid={`action-trigger-${name}`} onClick={() => trigger(s)}>
                        Trigger now
                      </button>
                      {s.paused ? (
                        <button
                          type="button"
                          class="primary"
                          data-testid={`schedule-resume-${name}`}
                          onClick={() => setPaused(s, false)}
                        >
                          Resume
                        </button>
                      ) : (
                        <button type="button" data-testid={`schedule-pause-${name}`} onClick={() => setPaused(s, true)}>
                          Pause
                        </button>
                      )}
                      <button
                        type="button"
                        class="ghost"
                        aria-expanded={open === name}
                        data-testid={`schedule-details-${name}`}
                        onClick={() => setOpen(open === name ? undefined : name)}
                      >
                        {open === name ? 'Hide' : 'Details'}
                      </button>
                    </td>
                  </tr>,
                  open === name && (
                    <tr key={`${name}/details`} class="details-row">
                      <td colSpan={7}>
                        <ScheduleDetails name={name} reload={reload} />
                      </td>
                    </tr>
                  ),
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      {list?.truncated && <p class="muted small">Only the first {schedules.length} schedules are shown.</p>}
    </>
  );
}

/** The list leaves out recent fires and all but the next fire time: GetSchedule has them. */
function ScheduleDetails({ name, reload }: { name: string; reload: number }) {
  const [s, setS] = useState<Schedule>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const ctl = new AbortController();
    api.getSchedule(name, ctl.signal).then(
      (res) => setS(res.schedule),
      (err: unknown) => {
        if (!isAbort(err)) setError(errorMessage(err));
      },
    );
    return () => ctl.abort();
  }, [name, reload]);
  if (error) return <ErrorNotice message={error} />;
  if (!s) return <Loading what="schedule" />;
  const spec = s.spec;
  const fires = s.recentFires ?? [];
  return (
    <div class="schedule-details">
      <dl class="fields">
        <div>
          <dt>Overlap</dt>
          <dd>{shortEnum(spec.overlap, 'OVERLAP_POLICY_').replace('UNSPECIFIED', 'SKIP (default)')}</dd>
        </div>
        <div>
          <dt>Catch-up</dt>
          <dd>
            {shortEnum(spec.catchUp, 'CATCH_UP_POLICY_').replace('UNSPECIFIED', 'ONE (default)')}
            {spec.catchUp === 'CATCH_UP_POLICY_ALL' && `, limit ${spec.catchUpLimit || 100}`}
          </dd>
        </div>
        {spec.jitter && durationSeconds(spec.jitter) > 0 && (
          <div>
            <dt>Jitter</dt>
            <dd>{fmtDuration(durationSeconds(spec.jitter))}</dd>
          </div>
        )}
        {(spec.startTime || spec.endTime) && (
          <div>
            <dt>Window</dt>
            <dd>
              {spec.startTime ? fmtTime(spec.startTime) : '…'} → {spec.endTime ? fmtTime(spec.endTime) : '…'}
            </dd>
          </div>
        )}
        <div class="wide">
          <dt>Upcoming</dt>
          <dd>
            {(s.nextFireTimes ?? []).length === 0
              ? 'none'
              : <span class="chips">
                  {(s.nextFireTimes ?? []).map((t) => (
                    <span key={t} class="chip">
                      {fmtTime(t)}
                    </span>
                  ))}
                </span>}
          </dd>
        </div>
      </dl>
      <h3>Recent fires</h3>
      {fires.length === 0 ? (
        <p class="muted">No fire has submitted a task yet.</p>
      ) : (
        <ul class="fires">
          {fires.map((f) => (
            <li key={f.fireTime}>
              <span>{fmtTime(f.fireTime)}</span>
              {f.taskId ? (
                <a class="mono" href={taskHref(f.taskId)}>
                  {shortId(f.taskId)}
                </a>
              ) : null}
              <StateBadge state={f.taskState} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
