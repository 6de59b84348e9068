import { authHeaders } from './auth';
import type { ListSchedulesResponse, ListTasksResponse, Queue, Schedule, StatsSnapshot, Task } from './types';

/** An error the coordinator returned (or the network failing, with status 0). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401, from plain requests and streams alike, so one place shows sign-in. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function reportUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

/** Turns a non-2xx response into an ApiError with the coordinator's message. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let message = '';
  let code = '';
  try {
    const body = (await res.json()) as { error?: { status?: string; message?: string } };
    message = body.error?.message ?? '';
    code = body.error?.status ?? '';
  } catch {
    // Not JSON (a proxy's page, say): fall back to the status line.
  }
  if (res.status === 401) reportUnauthorized();
  return new ApiError(message || `${res.status} ${res.statusText || 'error'}`, res.status, code);
}

/** The error a stream's `event: end` carries, as an ApiError. */
export function errorFromEnd(data: string): ApiError | undefined {
  try {
    const body = JSON.parse(data) as { error?: { code?: number; status?: string; message?: string } };
    if (!body.error) return undefined;
    const status = body.error.code ?? 0;
    if (status === 401 || body.error.status === 'UNAUTHENTICATED') reportUnauthorized();
    return new ApiError(body.error.message || body.error.status || 'stream ended with an error', status, body.error.status ?? '');
  } catch {
    return undefined;
  }
}

export async function request<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (signal) init.signal = signal;
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    init.body = '{}';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError('Cannot reach the coordinator', 0, 'UNAVAILABLE');
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

/** One path segment; names may hold `/` and `:`, which must not split the route. */
const seg = encodeURIComponent;

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface ListTasksQuery {
  state?: string;
  queue?: string;
  type?: string;
  schedule?: string;
}

export const api = {
  stats: (signal?: AbortSignal) => request<StatsSnapshot>('GET', '/v1/stats?history=true', signal),
  listTasks: (f: ListTasksQuery, pageToken: string, pageSize: number, signal?: AbortSignal) =>
    request<ListTasksResponse>(
      'GET',
      `/v1/tasks${query({ ...f, page_size: String(pageSize), page_token: pageToken })}`,
      signal,
    ),
  getTask: (id: string, signal?: AbortSignal) => request<{ task: Task }>('GET', `/v1/tasks/${seg(id)}`, signal),
  cancelTask: (id: string) => request<{ task: Task }>('POST', `/v1/tasks/${seg(id)}:cancel`),
  retryTask: (id: string) => request<{ task: Task }>('POST', `/v1/tasks/${seg(id)}:retry`),
  listQueues: (signal?: AbortSignal) => request<{ queues?: Queue[] }>('GET', '/v1/queues', signal),
  pauseQueue: (name: string) => request<{ queue: Queue }>('POST', `/v1/queues/${seg(name)}:pause`),
  resumeQueue: (name: string) => request<{ queue: Queue }>('POST', `/v1/queues/${seg(name)}:resume`),
  listSchedules: (pageToken: string, signal?: AbortSignal) =>
    request<ListSchedulesResponse>('GET', `/v1/schedules${query({ page_size: '1000', page_token: pageToken })}`, signal),
  getSchedule: (name: string, signal?: AbortSignal) =>
    request<{ schedule: Schedule }>('GET', `/v1/schedules/${seg(name)}`, signal),
  triggerSchedule: (name: string) => request<{ task: Task }>('POST', `/v1/schedules/${seg(name)}:trigger`),
  pauseSchedule: (name: string) => request<{ schedule: Schedule }>('POST', `/v1/schedules/${seg(name)}:pause`),
  resumeSchedule: (name: string) => request<{ schedule: Schedule }>('POST', `/v1/schedules/${seg(name)}:resume`),
};

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
