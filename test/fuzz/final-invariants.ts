/**
 * Area 4: after the fuzzing, the coordinator is alive and serves, every task it lists is in
 * a legal state with a consistent history, every task it acknowledged is still there, and
 * its memory came back down.
 */
import { status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { AttemptOutcome, TaskState, type Task } from '../../shared/gen/baton/v1/task';
import {
  GetTaskRequest,
  GetTaskResponse,
  ListTasksRequest,
  ListTasksResponse,
  SubmitTaskRequest,
  SubmitTaskResponse,
} from '../../shared/gen/baton/v1/task_queue';
import type { FuzzContext } from './fuzz-context';
import { brief, type Finding } from './fuzz-report';
import { CALL_DEADLINE_MS } from './message-fuzz';
import { statusName } from '../support/raw-grpc-client';
import { httpGet } from './raw-socket-fuzz';

const TERMINAL = new Set([TaskState.TASK_STATE_SUCCEEDED, TaskState.TASK_STATE_DEAD, TaskState.TASK_STATE_CANCELED]);
const ENDED_BY_FAILURE = new Set([AttemptOutcome.ATTEMPT_OUTCOME_FAILED, AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT, AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST]);
const INFRASTRUCTURE = new Set([AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT, AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST]);
const PAGE_SIZE = 1000;
const GET_CONCURRENCY = 64;
/** Tasks never leased whose full record is read too, besides every task that has attempts. */
const UNLEASED_SAMPLE = 500;

/** Resident memory of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Polls `rssBytes` until it is at most `limitBytes` or `deadlineMs` passes; returns the last reading. */
export async function rssSettles(pid: number, limitBytes: number, deadlineMs: number): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const rss = rssBytes(pid);
    if (rss <= limitBytes || Date.now() >= until) return rss;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function finding(what: string, summary: string, input = ''): Finding {
  return { signature: `final: ${what}`, summary, input };
}

/** The coordinator still does its job: /healthz is 200, and a task can be submitted and read back. */
export async function checkServes(ctx: FuzzContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (!ctx.coordinator.process.alive) return [finding('coordinator exited', `the coordinator exited: ${JSON.stringify(await ctx.coordinator.process.exited)}`)];
  const health = await httpGet(ctx.coordinator.httpPort, '/healthz').catch((err: unknown) => ({ status: 0, body: String(err) }));
  if (health.status !== 200) findings.push(finding('healthz', `/healthz answered ${health.status}: ${health.body.slice(0, 200)}`));
  const request: SubmitTaskRequest = { queue: 'fz-final', type: 'probe', payload: Buffer.from('{}'), contentType: '', priority: 0, maxAttempts: 1, idempotencyKey: '', labels: {}, traceContext: {}, fairnessKey: '' };
  const submitted = await ctx.raw.unary('SubmitTask', Buffer.from(SubmitTaskRequest.encode(request).finish()), CALL_DEADLINE_MS);
  if (submitted.code !== status.OK) return [...findings, finding('submit', `a valid SubmitTask was answered ${statusName(submitted.code)} "${submitted.details}"`)];
  const id = SubmitTaskResponse.decode(submitted.responses[0]!).task?.id ?? '';
  const got = await ctx.raw.unary('GetTask', Buffer.from(GetTaskRequest.encode({ id }).finish()), CALL_DEADLINE_MS);
  if (got.code !== status.OK) findings.push(finding('get', `GetTask of the task just submitted (${id}) answered ${statusName(got.code)} "${got.details}"`));
  else if (GetTaskResponse.decode(got.responses[0]!).task?.id !== id) findings.push(finding('get', `GetTask of ${id} returned another task`));
  return findings;
}

/** Every page of ListTasks; checks the listing itself (newest first, no repeats). */
export async function listEverything(ctx: FuzzContext): Promise<{ tasks: Task[]; findings: Finding[] }> {
  const tasks: Task[] = [];
  const findings: Finding[] = [];
  let pageToken = '';
  const maxPages = Math.ceil((ctx.accepted.size + 10_000) / PAGE_SIZE) + 10;
  for (let page = 0; page < maxPages; page += 1) {
    const request = Buffer.from(ListTasksRequest.encode({ queue: '', state: TaskState.TASK_STATE_UNSPECIFIED, type: '', pageSize: PAGE_SIZE, pageToken, schedule: '' }).finish());
    const outcome = await ctx.raw.unary('ListTasks', request, CALL_DEADLINE_MS);
    if (outcome.code !== status.OK) return { tasks, findings: [finding('list', `ListTasks page ${page} answered ${statusName(outcome.code)} "${outcome.details}"`)] };
    const response = ListTasksResponse.decode(outcome.responses[0]!);
    tasks.push(...response.tasks);
    pageToken = response.nextPageToken;
    if (pageToken === '') break;
    if (page === maxPages - 1) findings.push(finding('list', `ListTasks still had a next page after ${maxPages} pages`));
  }
  const seen = new Set<string>();
  for (const [i, task] of tasks.entries()) {
    if (seen.has(task.id)) findings.push(finding('list repeats a task', `ListTasks returned task ${task.id} twice`));
    seen.add(task.id);
    const previous = tasks[i - 1];
    if (previous && previous.id <= task.id) findings.push(finding('list order', `ListTasks is not newest first: ${previous.id} before ${task.id}`));
  }
  return { tasks, findings };
}

/** What any task record must satisfy, listed or read in full. */
export function checkTask(task: Task, full: boolean): Finding[] {
  const findings: Finding[] = [];
  const bad = (what: string, detail: string): void => {
    findings.push(finding(what, `task ${task.id} (${TaskState[task.state] ?? task.state}, attempt ${task.attempt}/${task.maxAttempts}): ${detail}`, brief({ ...task, payload: undefined, result: undefined, attempts: task.attempts.length }, 800)));
  };
  const state = task.state;
  if (!(state in TaskState) || state === TaskState.TASK_STATE_UNSPECIFIED) bad('illegal state', `state ${state} is not a task state`);
  const terminal = TERMINAL.has(state);
  if (terminal && !task.finishedAt) bad('terminal without finished_at', 'a terminal task has no finished_at');
  if (!terminal && task.finishedAt) bad('unfinished with finished_at', 'an unfinished task has a finished_at');
  const leasedAtLeastOnce = state === TaskState.TASK_STATE_RUNNING || state === TaskState.TASK_STATE_SUCCEEDED || state === TaskState.TASK_STATE_DEAD;
  if (leasedAtLeastOnce && task.attempt < 1) bad('ran without an attempt', `state needs an attempt, attempt is ${task.attempt}`);
  if (task.attempt > task.maxAttempts) bad('attempt over the cap', `attempt ${task.attempt} exceeds max_attempts ${task.maxAttempts}`);
  if (task.createdAt && task.updatedAt && task.updatedAt < task.createdAt) bad('updated before created', 'updated_at is before created_at');
  if (task.createdAt && task.finishedAt && task.finishedAt < task.createdAt) bad('finished before created', 'finished_at is before created_at');
  if (state === TaskState.TASK_STATE_SUCCEEDED && !task.resultContentType) bad('succeeded without a result type', 'SUCCEEDED with an empty result_content_type');
  if (!full) {
    if (task.payload.length > 0 || task.result.length > 0 || task.attempts.length > 0) bad('list carries bodies', 'a listed task carries payload, result or attempts (docs: it must not)');
    return findings;
  }
  const attempts = task.attempts;
  if (attempts.length !== task.attempt) bad('attempt history', `${attempts.length} attempt records for attempt number ${task.attempt}`);
  attempts.forEach((attempt, i) => {
    if (attempt.number !== i + 1) bad('attempt numbering', `attempt record ${i} is numbered ${attempt.number}`);
    const running = attempt.outcome === AttemptOutcome.ATTEMPT_OUTCOME_RUNNING;
    if (attempt.outcome === AttemptOutcome.ATTEMPT_OUTCOME_UNSPECIFIED) bad('attempt outcome', `attempt ${attempt.number} has no outcome`);
    if (running && (i !== attempts.length - 1 || state !== TaskState.TASK_STATE_RUNNING)) bad('stray running attempt', `attempt ${attempt.number} is RUNNING while the task is ${TaskState[state]}`);
    if (!running && !attempt.endedAt) bad('ended attempt without ended_at', `attempt ${attempt.number} ended ${AttemptOutcome[attempt.outcome]} with no ended_at`);
    if (attempt.endedAt && attempt.startedAt && attempt.endedAt < attempt.startedAt) bad('attempt ended before it started', `attempt ${attempt.number}`);
  });
  const last = attempts[attempts.length - 1];
  if (state === TaskState.TASK_STATE_RUNNING && last?.outcome !== AttemptOutcome.ATTEMPT_OUTCOME_RUNNING) bad('running without a running attempt', `last attempt is ${last ? AttemptOutcome[last.outcome] : 'missing'}`);
  if (state === TaskState.TASK_STATE_SUCCEEDED && last?.outcome !== AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED) bad('succeeded without a successful attempt', `last attempt is ${last ? AttemptOutcome[last.outcome] : 'missing'}`);
  if (state === TaskState.TASK_STATE_DEAD && (!last || !ENDED_BY_FAILURE.has(last.outcome))) bad('dead without a failed attempt', `last attempt is ${last ? AttemptOutcome[last.outcome] : 'missing'}`);
  const infra = attempts.filter((attempt) => INFRASTRUCTURE.has(attempt.outcome)).length;
  if (task.infrastructureFailures > infra) bad('infrastructure failures', `infrastructure_failures ${task.infrastructureFailures} but only ${infra} attempts ended WORKER_LOST or TIMED_OUT`);
  return findings;
}

/** Reads in full every task that ever ran, and a sample of the others, and checks each. */
export async function checkFullRecords(ctx: FuzzContext, listed: readonly Task[]): Promise<Finding[]> {
  const ran = listed.filter((task) => task.attempt > 0);
  const others = listed.filter((task) => task.attempt === 0);
  const step = Math.max(1, Math.floor(others.length / UNLEASED_SAMPLE));
  const ids = [...ran, ...others.filter((_, i) => i % step === 0)].map((task) => task.id);
  const findings: Finding[] = [];
  for (let at = 0; at < ids.length; at += GET_CONCURRENCY) {
    const chunk = ids.slice(at, at + GET_CONCURRENCY);
    const outcomes = await Promise.all(chunk.map((id) => ctx.raw.unary('GetTask', Buffer.from(GetTaskRequest.encode({ id }).finish()), CALL_DEADLINE_MS)));
    outcomes.forEach((outcome, i) => {
      if (outcome.code !== status.OK) {
        findings.push(finding('get of a listed task', `GetTask of listed task ${chunk[i]} answered ${statusName(outcome.code)} "${outcome.details}"`));
        return;
      }
      const task = GetTaskResponse.decode(outcome.responses[0]!).task;
      if (task) findings.push(...checkTask(task, true));
    });
  }
  return findings;
}

/** Every task whose submission was acknowledged is still there. */
export function checkAcceptedPresent(ctx: FuzzContext, listed: readonly Task[]): Finding[] {
  const present = new Set(listed.map((task) => task.id));
  const missing = [...ctx.accepted].filter((id) => !present.has(id));
  if (missing.length === 0) return [];
  return [finding('acknowledged task missing', `${missing.length} of ${ctx.accepted.size} acknowledged tasks are not listed (e.g. ${missing.slice(0, 3).join(', ')})`)];
}

/** Lines the coordinator logged at error or fatal, and anything on its stderr: each is a path nobody meant to take. */
export function checkLogs(ctx: FuzzContext): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const line of ctx.coordinator.process.lines) {
    const level = typeof line.level === 'number' ? line.level : 0;
    if (level < 50) continue;
    const err = line.err as { message?: string; type?: string } | undefined;
    const key = `${line.msg} ${err?.type ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding(`logged ${level >= 60 ? 'fatal' : 'error'}: ${key}`, `the coordinator logged at level ${level}: "${line.msg}"${err ? ` (${err.type}: ${err.message})` : ''}`, brief(line, 600)));
  }
  const stderr = ctx.coordinator.process.stderrText.join('');
  if (stderr.trim() !== '') findings.push(finding('stderr', `the coordinator wrote to stderr: ${stderr.slice(0, 500)}`));
  return findings;
}
