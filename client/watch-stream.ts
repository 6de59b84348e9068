import type { ClientReadableStream } from '@grpc/grpc-js';
import type { BatonError } from '../shared/errors';
import type { Task } from '../shared/gen/baton/v1/task';
import type { WatchTaskResponse } from '../shared/gen/baton/v1/task_queue';
import { isTerminalState } from './task-state-names';

const ignoreError = (): void => undefined;

/**
 * The tasks of one WatchTask server stream, as an async iterable. The call is cancelled
 * as soon as the consumer stops iterating (break, return, throw) or `signal` aborts, so no
 * stream outlives its reader. Nothing is opened until the first `next()`.
 * @param open starts the call.
 * @throws the signal's reason once it aborted; otherwise the stream's error through `toError`.
 */
export async function* watchTaskStream(
  open: () => ClientReadableStream<WatchTaskResponse>,
  signal: AbortSignal | undefined,
  toError: (err: unknown) => BatonError,
): AsyncGenerator<Task, void, undefined> {
  signal?.throwIfAborted();
  const call = open();
  // grpc-js emits the final status as an 'error' event even after the iterator below has let
  // go of the stream (our own cancel in `finally`); unheard, it would be an uncaught exception.
  call.on('error', ignoreError);
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  // After a terminal state the coordinator ends the stream itself. Cancelling it then would
  // still send an RST_STREAM, and a connection that sends more than about a thousand of
  // those is torn down by the server's HTTP/2 layer (coordinator/api/watch-limits.ts).
  let serverEndsIt = false;
  try {
    for await (const message of call as AsyncIterable<WatchTaskResponse>) {
      if (!message.task) continue;
      serverEndsIt = isTerminalState(message.task.state);
      yield message.task;
    }
  } catch (err: unknown) {
    signal?.throwIfAborted();
    throw toError(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!serverEndsIt) call.cancel(); // a no-op once the call has its status
  }
  signal?.throwIfAborted();
}
