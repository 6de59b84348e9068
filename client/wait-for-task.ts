import { sleep } from '../shared/abort';
import { backoffDelayMs, type BackoffPolicy } from '../shared/backoff';
import { systemClock, type Clock } from '../shared/clock';
import { formatDurationMs } from '../shared/duration';
import { BatonError, InvalidArgumentError } from '../shared/errors';
import type { Task } from '../shared/gen/baton/v1/task';
import { ConnectionDroppedError } from './client-errors';
import { isTerminalState } from './task-state-names';

/** Options of {@link waitForTerminalTask} and `BatonClient.wait`. */
export interface WaitOptions {
  /** Stops waiting; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Gives up after this many milliseconds with a DEADLINE_EXCEEDED BatonError. Default: no limit. */
  readonly timeoutMs?: number;
  /**
   * Called with every task a watch reports, the terminal one included: the state now, then
   * each change of state and, as the coordinator streams them, each new `progress`. Updates
   * carry neither payload nor result. A throw ends the wait with that error.
   */
  readonly onUpdate?: (task: Task) => void;
}

/** Opens one watch of the task; it ends (or fails) when `signal` aborts. */
export type WatchTask = (signal: AbortSignal) => AsyncIterable<Task>;

/** What `waitForTerminalTask` needs besides the watch; tests inject fakes. */
export interface WaitDependencies {
  readonly clock: Clock;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Spacing of re-watches after a stream ended early, e.g. while the coordinator restarts. */
export const REWATCH_BACKOFF: BackoffPolicy = { initialMs: 100, multiplier: 2, maxMs: 5_000, jitter: 0.2 };

const BATON_CODES_WORTH_REWATCHING: ReadonlySet<string> = new Set(['UNAVAILABLE', 'CANCELLED']);

const DEFAULT_DEPENDENCIES: WaitDependencies = { clock: systemClock, sleep };

/**
 * Resolves with the task once a watch shows it SUCCEEDED, DEAD or CANCELED. When a stream
 * ends early or drops (the coordinator restarted), the task is watched again with backoff
 * until it is terminal, `signal` aborts or `timeoutMs` passes. A failure before anything was
 * ever received (unreachable coordinator, unknown id) rejects at once instead.
 * @throws BatonError DEADLINE_EXCEEDED after `timeoutMs`; the watch's BatonError (e.g. NOT_FOUND);
 *   the signal's reason when it aborts; InvalidArgumentError for a bad `timeoutMs`.
 */
export async function waitForTerminalTask(
  id: string,
  watch: WatchTask,
  options: WaitOptions = {},
  dependencies: WaitDependencies = DEFAULT_DEPENDENCIES,
): Promise<Task> {
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
    throw new InvalidArgumentError(`timeoutMs: expected a non-negative number of milliseconds, got ${timeoutMs}`);
  }
  signal?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : dependencies.clock.setTimer(() => {
          const message = `task ${id} did not finish within ${formatDurationMs(timeoutMs)}`;
          controller.abort(new BatonError('DEADLINE_EXCEEDED', message));
        }, timeoutMs);
  try {
    return await watchUntilTerminal(watch, controller.signal, dependencies, options.onUpdate);
  } finally {
    timer?.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}

async function watchUntilTerminal(
  watch: WatchTask,
  signal: AbortSignal,
  dependencies: WaitDependencies,
  onUpdate: ((task: Task) => void) | undefined,
): Promise<Task> {
  let everReceived = false;
  let failures = 0;
  for (;;) {
    try {
      for await (const task of watch(signal)) {
        everReceived = true;
        failures = 0;
        onUpdate?.(task);
        if (isTerminalState(task.state)) return task;
      }
    } catch (err: unknown) {
      signal.throwIfAborted();
      // A first watch that fails outright (unreachable, unknown id) fails the wait; once the
      // coordinator has answered, or when it dropped a connection it had, watch again.
      // RESOURCE_EXHAUSTED: the coordinator holds as many watches as it may for now.
      const dropped = err instanceof ConnectionDroppedError;
      const busy = err instanceof BatonError && err.code === 'RESOURCE_EXHAUSTED';
      if (!busy && ((!everReceived && !dropped) || !isWorthRewatching(err))) throw err;
    }
    failures += 1;
    await dependencies.sleep(backoffDelayMs(REWATCH_BACKOFF, failures), signal);
  }
}

function isWorthRewatching(err: unknown): boolean {
  return err instanceof BatonError && BATON_CODES_WORTH_REWATCHING.has(err.code);
}
