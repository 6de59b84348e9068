import { useEffect, useMemo, useState } from 'preact/hooks';
import { localZone } from './format';
import { type ActionRequest, type Actions, ActionsContext, type ToastMessage } from './actions';
import { onUnauthorized } from './api';
import { clearToken, getToken, setToken } from './auth';
import { ConfirmDialog } from './confirm';
import { ErrorNotice } from './notice';
import { OverviewPage } from './pages/overview';
import { QueuesPage } from './pages/queues';
import { SchedulesPage } from './pages/schedules';
import { TaskPage } from './pages/task';
import { TasksPage } from './pages/tasks';
import { type Route, useRoute } from './router';
import { SignIn } from './signin';
import { Toast } from './toast';
import type { StatsSnapshot } from './types';
import { type ConnState, watch } from './watch';

type Auth = 'ok' | 'needed' | 'rejected';

const CONN_TEXT: Record<ConnState | 'signedout', string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'finished',
  idle: 'offline',
  signedout: 'signed out',
};

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  tasks: 'Tasks',
  task: 'Task',
  queues: 'Queues',
  schedules: 'Schedules',
  notfound: 'Not found',
};

let toastSeq = 0;

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>('ok');
  // Bumped on sign-in and sign-out: every page and stream starts over with the new token.
  const [session, setSession] = useState(0);
  const [conn, setConn] = useState<ConnState>('connecting');
  const [stats, setStats] = useState<StatsSnapshot>();
  const [statsError, setStatsError] = useState<string>();
  const [confirmReq, setConfirmReq] = useState<ActionRequest>();
  const [toast, setToast] = useState<ToastMessage & { seq: number }>();

  useEffect(
    () =>
      onUnauthorized(() => {
        setAuth((prev) => (prev !== 'ok' ? prev : getToken() ? 'rejected' : 'needed'));
        clearToken();
        setConfirmReq(undefined);
      }),
    [],
  );

  useEffect(() => {
    document.title = `${TITLES[route.page]} · Baton`;
  }, [route.page]);

  // The page holds one stream: this one everywhere but on a task's page, which watches its task.
  const statsActive = auth === 'ok' && route.page !== 'task';
  useEffect(() => {
    if (!statsActive) return undefined;
    return watch({
      path: '/v1/stats:watch?history=true&interval=2s',
      idleTimeoutMs: 20_000, // ten missed snapshots
      onState: setConn,
      onMessage: (data) => {
        try {
          setStats(JSON.parse(data) as StatsSnapshot);
          setStatsError(undefined);
        } catch {
          // A malformed snapshot: keep showing the last good one.
        }
      },
      onEnd: (err) => {
        if (err) setStatsError(err.message);
        return err?.status !== 401; // the coordinator going away is not the end for a dashboard
      },
      onRefused: (err) => {
        setStatsError(err.message);
        return true;
      },
    });
  }, [statsActive, session]);

  const actions = useMemo<Actions>(
    () => ({
      confirm: (req) => setConfirmReq(req),
      toast: (msg) => setToast({ ...msg, seq: ++toastSeq }),
    }),
    [],
  );

  const signIn = (token: string): void => {
    setToken(token);
    setAuth('ok');
    setSession((s) => s + 1);
  };
  const signOut = (): void => {
    clearToken();
    setStats(undefined);
    setAuth('ok'); // an open coordinator simply carries on; one with tokens answers 401
    setSession((s) => s + 1);
  };

  return (
    <ActionsContext.Provider value={actions}>
      <Header route={route} conn={auth === 'ok' ? conn : 'signedout'} signedIn={getToken() !== ''} onSignOut={signOut} />
      <main id="main">
        {auth !== 'ok' ? (
          <SignIn key={auth} rejected={auth === 'rejected'} onSubmit={signIn} />
        ) : (
          <Page key={session} route={route} stats={stats} statsError={statsError} onConn={setConn} />
        )}
      </main>
      <footer class="foot muted small">Times are shown in {localZone()}, this browser&apos;s time zone.</footer>
      {confirmReq && (
        <ConfirmDialog req={confirmReq} onClose={() => setConfirmReq(undefined)} onResult={actions.toast} />
      )}
      {toast && <Toast msg={toast} onDismiss={() => setToast(undefined)} />}
    </ActionsContext.Provider>
  );
}

interface PageProps {
  route: Route;
  stats: StatsSnapshot | undefined;
  statsError: string | undefined;
  onConn: (s: ConnState) => void;
}

function Page({ route, stats, statsError, onConn }: PageProps) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage stats={stats} error={statsError} />;
    case 'tasks': {
      const f = route.filter;
      return <TasksPage key={`${f.state}|${f.queue}|${f.type}|${f.schedule}`} filter={f} stats={stats} />;
    }
    case 'task':
      return <TaskPage key={route.id} id={route.id} onConn={onConn} />;
    case 'queues':
      return <QueuesPage stats={stats} />;
    case 'schedules':
      return <SchedulesPage stats={stats} />;
    case 'notfound':
      return (
        <ErrorNotice message={`Nothing at ${route.path}.`}>
          {' '}
          <a href="#/">Back to the overview</a>
        </ErrorNotice>
      );
  }
}

const NAV = [
  { page: 'overview', href: '#/', label: 'Overview' },
  { page: 'tasks', href: '#/tasks', label: 'Tasks' },
  { page: 'queues', href: '#/queues', label: 'Queues' },
  { page: 'schedules', href: '#/schedules', label: 'Schedules' },
] as const;

interface HeaderProps {
  route: Route;
  conn: ConnState | 'signedout';
  signedIn: boolean;
  onSignOut: () => void;
}

function Header({ route, conn, signedIn, onSignOut }: HeaderProps) {
  const current = route.page === 'task' ? 'tasks' : route.page;
  return (
    <header class="top">
      <div class="top-inner">
        <a class="brand" href="#/">
          Baton
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => (
            <a key={n.page} href={n.href} data-testid={`nav-${n.page}`} aria-current={current === n.page ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <div class="top-right">
          <span class={`live conn-${conn}`} data-testid="live-status" role="status">
            <i class="dot" aria-hidden="true" />
            {CONN_TEXT[conn]}
          </span>
          {signedIn && (
            <button type="button" class="ghost small-btn" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </div>
    </header>
  );
}
