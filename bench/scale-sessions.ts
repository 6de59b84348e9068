/**
 * Part `sessions`: the cost of many connected, idle worker sessions. BENCH_SESSIONS (default
 * 1,000) sessions are opened from BENCH_SESSION_PROCESSES (default 1) child processes
 * (idle-sessions.ts: a Connect stream and a KeepAlive channel each, heartbeating at the
 * coordinator's interval like a real worker). Reported: the coordinator's CPU per second while
 * everything idles, with and without them; then the end-to-end rate of BENCH_SESSIONS_TASKS
 * (20,000) ~100-byte no-op tasks run by 2 real workers × 64, alone, with the idle sessions on
 * another queue, with them on the same queue but claiming a task type nobody submits (so
 * every dispatch pass meets them), and alone again (drift of a shared machine).
 *
 * The coordinator allows 1,000 sessions per credential (all anonymous sessions share one) and
 * 10,000 in all: the run raises `--max-workers-per-credential` (and `--max-workers` if needed)
 * to fit the idle sessions plus the real workers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BatonClient } from '../client/index';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from '../test/support/processes';
import type { IdleSessionsConfig, IdleSessionsReport } from './idle-sessions';
import { describeMemory, endToEndRate, mib, processMemory } from './scale-support';
import { cpuSeconds, metricSum, sleepMs, WORKLOAD } from './support';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const PROCESSES = Math.max(1, Number(process.env.BENCH_SESSION_PROCESSES ?? 1));
const TASKS = Number(process.env.BENCH_SESSIONS_TASKS ?? 20_000);
const IDLE_WINDOW_MS = Number(process.env.BENCH_IDLE_WINDOW_MS ?? 10_000);
const WORKERS = 2;
const CONCURRENCY = 64;
/** The coordinator's defaults (coordinator/core/engine-options.ts). */
const DEFAULT_MAX_WORKERS = 10_000;
const DEFAULT_MAX_WORKERS_PER_CREDENTIAL = 1000;

function coordinatorArgs(): string[] {
  const needed = SESSIONS + WORKERS + 16;
  const args = ['--sync', 'normal'];
  if (needed > DEFAULT_MAX_WORKERS_PER_CREDENTIAL) args.push('--max-workers-per-credential', String(needed));
  if (needed > DEFAULT_MAX_WORKERS) args.push('--max-workers', String(needed));
  return args;
}

/** The child processes holding the idle sessions. */
class IdleSessions {
  private constructor(private readonly children: ChildProcess[]) {}

  static async open(address: string, queue: string, taskTypes: readonly string[]): Promise<{ sessions: IdleSessions; ms: number; heartbeatMs: number }> {
    const children: ChildProcess[] = [];
    const sessions = new IdleSessions(children);
    try {
      const reports = await Promise.all(
        Array.from({ length: PROCESSES }, (_, i) => {
          const count = Math.floor(SESSIONS / PROCESSES) + (i < SESSIONS % PROCESSES ? 1 : 0);
          const config: IdleSessionsConfig = { address, count, queue, taskTypes, concurrency: 10 };
          const child = fork(join(__dirname, 'idle-sessions.ts'), [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
          children.push(child);
          return nextReport(child, 'opened', 120_000);
        }),
      );
      const ms = Math.max(...reports.map((r) => (r.kind === 'opened' ? r.ms : 0)));
      const heartbeatMs = reports[0]?.kind === 'opened' ? reports[0].heartbeatMs : NaN;
      return { sessions, ms, heartbeatMs };
    } catch (err: unknown) {
      sessions.kill();
      throw err;
    }
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid ?? -1);
  }

  /** Ends the sessions; resolves with what went wrong while they were open. */
  async close(): Promise<{ streamErrors: number; keepAliveErrors: number; heartbeatsSent: number }> {
    const totals = { streamErrors: 0, keepAliveErrors: 0, heartbeatsSent: 0 };
    try {
      for (const report of await Promise.all(this.children.map((child) => {
        const closed = nextReport(child, 'closed', 30_000);
        child.send('stop');
        return closed;
      }))) {
        if (report.kind !== 'closed') continue;
        totals.streamErrors += report.streamErrors;
        totals.keepAliveErrors += report.keepAliveErrors;
        totals.heartbeatsSent += report.heartbeatsSent;
      }
      await Promise.all(this.children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve())));
    } finally {
      this.kill();
    }
    return totals;
  }

  kill(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function nextReport(child: ChildProcess, kind: IdleSessionsReport['kind'], timeoutMs: number): Promise<IdleSessionsReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`idle-sessions child: no "${kind}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: IdleSessionsReport): void => {
      if (message.kind === kind) finish(undefined, message);
    };
    const onExit = (code: number | null): void => finish(new Error(`idle-sessions child exited (${code}) before "${kind}"`));
    const finish = (err: Error | undefined, report?: IdleSessionsReport): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (report) resolve(report);
      else reject(err);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** CPU per wall-clock second of each pid over `windowMs`, as a percentage of one core. */
async function cpuPercent(pids: readonly number[], windowMs: number): Promise<number[]> {
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  await sleepMs(windowMs);
  const elapsed = (performance.now() - started) / 1000;
  return pids.map((pid, i) => ((cpuSeconds(pid) - before[i]!) / elapsed) * 100);
}

async function waitForWorkers(coordinator: CoordinatorHandle, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await metricSum(coordinator, 'baton_workers_connected')) !== count) {
    if (Date.now() > deadline) throw new Error(`baton_workers_connected did not reach ${count}`);
    await sleepMs(100);
  }
}

const pct = (value: number): string => `${value.toFixed(1)}%`;

/** Coordinator CPU microseconds per session per heartbeat interval, from the extra CPU percentage. */
const perBeatUs = (extraPercent: number, heartbeatMs: number): number => ((extraPercent / 100) * 1e6) / (SESSIONS / (heartbeatMs / 1000));

type Closed = Awaited<ReturnType<IdleSessions['close']>>;

/** Opens the idle sessions, waits until the coordinator counts them, runs `body`, closes them and waits until they are gone. */
async function withIdleSessions<T>(
  coordinator: CoordinatorHandle,
  queue: string,
  taskTypes: readonly string[],
  body: (opened: { sessions: IdleSessions; ms: number; heartbeatMs: number }) => Promise<T>,
): Promise<{ result: T; closed: Closed }> {
  const opened = await IdleSessions.open(coordinator.address, queue, taskTypes);
  try {
    await waitForWorkers(coordinator, SESSIONS + WORKERS);
    const result = await body(opened);
    const closed = await opened.sessions.close();
    await waitForWorkers(coordinator, WORKERS);
    return { result, closed };
  } finally {
    opened.sessions.kill();
  }
}

export async function benchSessions(): Promise<void> {
  const args = coordinatorArgs();
  console.log(`sessions: ${SESSIONS} idle sessions from ${PROCESSES} process(es); ${TASKS} tasks by ${WORKERS} workers x ${CONCURRENCY}; coordinator ${args.join(' ')}`);
  const group = new ProcessGroup();
  try {
    const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir('baton-bench-sessions-'), 'data'), args });
    const pid = coordinator.process.pid;
    await Promise.all(Array.from({ length: WORKERS }, () => startWorker(group, coordinator.address, { module: WORKLOAD.handlers, concurrency: CONCURRENCY })));
    const client = new BatonClient({ address: coordinator.address, callTimeoutMs: 60_000 });
    try {
      await sleepMs(2000);
      const [idleAlone = NaN] = await cpuPercent([pid], IDLE_WINDOW_MS);
      const alone = await endToEndRate(coordinator, client, TASKS);
      const rssAlone = processMemory(pid).rss;

      const other = await withIdleSessions(coordinator, 'bench-idle', [], async ({ sessions, ms, heartbeatMs }) => {
        console.log(`  opened ${SESSIONS} sessions in ${(ms / 1000).toFixed(1)} s; they heartbeat every ${heartbeatMs} ms (stream + KeepAlive)`);
        await sleepMs(heartbeatMs + 2000);
        const [idleWith = NaN, ...childCpu] = await cpuPercent([pid, ...sessions.pids], IDLE_WINDOW_MS);
        console.log(
          `  coordinator CPU while idle (${IDLE_WINDOW_MS / 1000} s windows): ${pct(idleAlone)} with ${WORKERS} workers, ` +
            `${pct(idleWith)} with ${SESSIONS} idle sessions more (${pct((idleWith - idleAlone) / (SESSIONS / 1000))} per 1,000 sessions, ` +
            `${perBeatUs(idleWith - idleAlone, heartbeatMs).toFixed(0)} µs per session per interval: a stream Heartbeat and a KeepAlive call); ` +
            `the session process(es) used ${childCpu.map(pct).join(', ')}`,
        );
        console.log(`  coordinator RSS: ${mib(rssAlone)} before the sessions, with them ${describeMemory(processMemory(pid))}`);
        return endToEndRate(coordinator, client, TASKS);
      });
      const same = await withIdleSessions(coordinator, 'default', ['bench-never-submitted'], async () => {
        await sleepMs(2000);
        return endToEndRate(coordinator, client, TASKS);
      });
      await sleepMs(2000);
      const aloneAgain = await endToEndRate(coordinator, client, TASKS);

      const ratio = (r: number): string => `${((r / alone.rate) * 100).toFixed(0)}%`;
      console.log(
        `  end to end, ${TASKS} tasks: alone ${alone.rate.toFixed(0)} tasks/s; ` +
          `with ${SESSIONS} idle sessions on another queue ${other.result.rate.toFixed(0)} tasks/s (${ratio(other.result.rate)}); ` +
          `on the same queue, another task type ${same.result.rate.toFixed(0)} tasks/s (${ratio(same.result.rate)}); ` +
          `alone again ${aloneAgain.rate.toFixed(0)} tasks/s (${ratio(aloneAgain.rate)})`,
      );
      const errors = [other.closed, same.closed].reduce((n, c) => n + c.streamErrors + c.keepAliveErrors, 0);
      console.log(
        `  idle sessions: ${other.closed.heartbeatsSent + same.closed.heartbeatsSent} heartbeats sent, ${errors} stream or KeepAlive errors, ` +
          `${await metricSum(coordinator, 'baton_heartbeat_misses_total')} sessions declared dead for silence`,
      );
    } finally {
      client.close();
    }
  } finally {
    await group.cleanup();
  }
}
