import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const BATON_JS = join(REPO_ROOT, 'dist', 'bin', 'baton.js');

export interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/**
 * A real `baton` child process whose JSON log lines can be awaited. Nothing is assumed
 * from timing: tests wait for the line that says a thing happened.
 */
export class BatonProcess {
  readonly lines: LogLine[] = [];
  readonly stderrText: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess, readonly label: string) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: line });
      }
      for (const waiter of [...this.waiters]) waiter();
    });
    child.stderr!.on('data', (chunk: Buffer) => this.stderrText.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const waiter of [...this.waiters]) waiter();
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line (past or future) that matches; rejects if the process exits first. */
  waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (!this.alive) {
          done();
          reject(new Error(`${this.label} exited before logging ${what}; stderr: ${this.stderrText.join('')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}

export function spawnBaton(args: string[], label: string, env: Record<string, string> = {}, nodeArgs: readonly string[] = []): BatonProcess {
  return spawnNodeScript(BATON_JS, args, label, env, nodeArgs);
}

/**
 * Any node script as a child process whose JSON log lines can be awaited, such as a
 * TypeScript one with `nodeArgs` `['--import', 'tsx']` (one process, so signals reach it).
 */
export function spawnNodeScript(script: string, args: readonly string[], label: string, env: Record<string, string> = {}, nodeArgs: readonly string[] = []): BatonProcess {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new BatonProcess(child, label);
}

export interface CoordinatorHandle {
  readonly process: BatonProcess;
  readonly address: string;
  readonly port: number;
  readonly httpPort: number;
  readonly dataDir: string;
}

export interface CoordinatorOptions {
  readonly dataDir: string;
  /** Fixed gRPC port (to restart on the same address); default 0 (any free port). */
  readonly port?: number;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** Options of node itself, such as `--cpu-prof` (which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
}

/** Starts `baton coordinator` and waits until it listens. */
export async function startCoordinator(group: ProcessGroup, options: CoordinatorOptions): Promise<CoordinatorHandle> {
  const proc = group.add(
    spawnBaton(
      ['coordinator', '--listen', `127.0.0.1:${options.port ?? 0}`, '--http', '127.0.0.1:0', '--data', options.dataDir, ...(options.args ?? [])],
      'coordinator',
      options.env,
      options.nodeArgs,
    ),
  );
  return coordinatorListening(proc, options.dataDir);
}

/**
 * Waits for a coordinator process (or anything that logs like one) to log
 * `coordinator listening` with its `grpc_port` and `http_port`, and returns its handle.
 */
export async function coordinatorListening(proc: BatonProcess, dataDir: string): Promise<CoordinatorHandle> {
  const line = await proc.waitForLog((l) => l.msg === 'coordinator listening', 'coordinator listening');
  const port = line.grpc_port as number;
  return { process: proc, address: `127.0.0.1:${port}`, port, httpPort: line.http_port as number, dataDir };
}

export interface WorkerHandleOptions {
  readonly module?: string;
  readonly concurrency?: number;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** Options of node itself, such as `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

/** Starts `baton worker` and waits until the coordinator has welcomed it. */
export async function startWorker(group: ProcessGroup, address: string, options: WorkerHandleOptions = {}): Promise<BatonProcess> {
  const module = options.module ?? join(REPO_ROOT, 'test', 'fixtures', 'handlers.cjs');
  const proc = group.add(
    spawnBaton(
      ['worker', '--coordinator', address, '--concurrency', String(options.concurrency ?? 10), ...(options.args ?? []), module],
      'worker',
      options.env,
      options.nodeArgs,
    ),
  );
  await proc.waitForLog((l) => l.msg === 'connected to the coordinator', 'worker connected');
  return proc;
}

/** Every process and temp dir a test made; `cleanup()` in an after hook leaves nothing behind. */
export class ProcessGroup {
  private readonly processes: BatonProcess[] = [];
  private readonly dirs: string[] = [];

  add(proc: BatonProcess): BatonProcess {
    this.processes.push(proc);
    return proc;
  }

  tempDir(prefix = 'baton-test-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.processes.map((proc) => proc.stop(5000)));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.processes.length = 0;
    this.dirs.length = 0;
  }
}
