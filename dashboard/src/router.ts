import { useEffect, useState } from 'preact/hooks';

export interface TaskFilter {
  /** A short state name ("DEAD"); the API call spells it out. */
  state: string;
  queue: string;
  type: string;
  schedule: string;
}

export type Route =
  | { page: 'overview' }
  | { page: 'tasks'; filter: TaskFilter }
  | { page: 'task'; id: string }
  | { page: 'queues' }
  | { page: 'schedules' }
  | { page: 'notfound'; path: string };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'tasks' && parts.length === 1) {
    return {
      page: 'tasks',
      filter: {
        state: (params.get('state') ?? '').replace(/^TASK_STATE_/, '').toUpperCase(),
        queue: params.get('queue') ?? '',
        type: params.get('type') ?? '',
        schedule: params.get('schedule') ?? '',
      },
    };
  }
  if (parts[0] === 'tasks' && parts.length === 2 && parts[1]) return { page: 'task', id: parts[1] };
  if (parts[0] === 'queues' && parts.length === 1) return { page: 'queues' };
  if (parts[0] === 'schedules' && parts.length === 1) return { page: 'schedules' };
  return { page: 'notfound', path };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function tasksHref(filter: Partial<TaskFilter> = {}): string {
  const q = new URLSearchParams();
  for (const key of ['state', 'queue', 'type', 'schedule'] as const) {
    const v = filter[key];
    if (v) q.set(key, v);
  }
  const s = q.toString();
  return s ? `#/tasks?${s}` : '#/tasks';
}

export function taskHref(id: string): string {
  return `#/tasks/${encodeURIComponent(id)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
