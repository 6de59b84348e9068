import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';

export interface KeepAliveThreadData {
  readonly coordinator: string;
}

export type KeepAliveCommand =
  | { readonly kind: 'session'; readonly workerId: string; readonly sessionId: string; readonly intervalMs: number }
  | { readonly kind: 'stop' };

/**
 * The main thread's handle on the keep-alive thread (keep-alive-thread.ts): liveness that
 * does not depend on the main event loop. The execution timeout stays the backstop for a
 * handler that never returns.
 */
export class KeepAliveThread {
  private thread: Thread | undefined;

  start(coordinator: string): void {
    const compiled = join(__dirname, 'keep-alive-thread.js');
    const data: KeepAliveThreadData = { coordinator };
    // Compiled, the .js sits beside this file; under tsx (tests), the .ts does and needs tsx too.
    this.thread = existsSync(compiled)
      ? new Thread(compiled, { workerData: data })
      : new Thread(join(__dirname, 'keep-alive-thread.ts'), { workerData: data, execArgv: ['--require', 'tsx/cjs'] });
    this.thread.unref();
  }

  /** Starts proving `sessionId` alive every `intervalMs` (replacing any earlier session). */
  session(workerId: string, sessionId: string, intervalMs: number): void {
    this.post({ kind: 'session', workerId, sessionId, intervalMs });
  }

  async stop(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ kind: 'stop' } satisfies KeepAliveCommand);
    const timer = setTimeout(() => void thread.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }

  private post(command: KeepAliveCommand): void {
    this.thread?.postMessage(command);
  }
}
