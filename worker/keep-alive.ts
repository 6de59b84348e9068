import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { ConnectionSecurity } from '../shared/connection-security';

/** What the keep-alive thread starts with, through `workerData` (structured clone: plain data only). */
export interface KeepAliveThreadData {
  readonly coordinator: string;
  /**
   * The main thread's TLS bytes and token, so that this thread's own channel is secured the
   * same way. Buffers arrive as plain Uint8Arrays, which grpcChannelSecurity accepts.
   */
  readonly security: ConnectionSecurity;
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
  private exited: Promise<void> = Promise.resolve();

  /** @param onError told if the thread fails; the worker then runs on without it. */
  start(coordinator: string, security: ConnectionSecurity, onError: (err: unknown) => void): void {
    const compiled = join(__dirname, 'keep-alive-thread.js');
    const data: KeepAliveThreadData = { coordinator, security };
    // Compiled, the .js sits beside this file; under tsx (tests), the .ts does and needs tsx too.
    this.thread = existsSync(compiled)
      ? new Thread(compiled, { workerData: data })
      : new Thread(join(__dirname, 'keep-alive-thread.ts'), { workerData: data, execArgv: ['--require', 'tsx/cjs'] });
    this.thread.unref();
    const thread = this.thread;
    this.exited = new Promise((resolve) => thread.once('exit', () => resolve()));
    thread.on('error', (err: unknown) => {
      if (this.thread === thread) this.thread = undefined;
      onError(err);
    });
  }

  /** Starts proving `sessionId` alive every `intervalMs` (replacing any earlier session). */
  session(workerId: string, sessionId: string, intervalMs: number): void {
    this.post({ kind: 'session', workerId, sessionId, intervalMs });
  }

  async stop(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (thread) {
      thread.postMessage({ kind: 'stop' } satisfies KeepAliveCommand);
      // Real time, not the worker's clock: this waits for another thread to exit, which only
      // real time passes for; a fake clock that no test advances would wait forever.
      const timer = setTimeout(() => void thread.terminate(), 2000);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.exited; // already gone, or never started: resolves at once
    }
  }

  private post(command: KeepAliveCommand): void {
    this.thread?.postMessage(command);
  }
}
