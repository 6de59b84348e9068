import type { Span } from '@opentelemetry/api';
import type { Logger } from '../shared/logger';

/** What a handler learns about the attempt it runs. */
export interface TaskContext {
  readonly taskId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly queue: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  /** W3C trace context of the submitter (traceparent, tracestate). */
  readonly traceContext: Readonly<Record<string, string>>;
  /** Fires when the attempt is canceled, times out, or the worker stops; stop work then. */
  readonly signal: AbortSignal;
  /** Carries the task's ids, and its `trace_id` and `span_id` when it is traced. */
  readonly logger: Logger;
  /**
   * The attempt's `process` span, for attributes and events. It is also the active context
   * while the handler runs, so spans the handler starts nest under it without this.
   */
  readonly span: Span;
  /**
   * Reports how far the attempt has got, for whoever watches the task: `fraction` of the work
   * done, from 0 to 1, and optionally what it is doing now. Cheap enough to call in a tight
   * loop: the worker keeps only the latest report of each attempt, and sends the latest ones
   * together at most once per `progressIntervalMs` (default 250 ms): the latest report goes
   * out within one interval of being made (while connected), never at once. A report still
   * waiting when the attempt ends is never sent: the result supersedes it. After the attempt
   * ended, or once {@link signal} aborted, a call does nothing.
   * It is bound to this attempt: pass it around on its own if you like.
   * @param fraction a finite number from 0 to 1; nothing checks that it only grows.
   * @param message what the handler is doing; at most 512 UTF-8 bytes, a longer one is cut at
   *   a character boundary. Default: empty.
   * @throws RangeError, naming the value, when `fraction` is not a finite number in [0, 1],
   *   and TypeError when `message` is not a string: checked on every call, even one ignored
   *   because the attempt ended.
   */
  readonly progress: (fraction: number, message?: string) => void;
}

/**
 * A task handler. It receives the decoded payload (JSON by default) and returns the result
 * (JSON-encoded; a Buffer is sent as is). Throwing fails the attempt; throwing a
 * NonRetryableError fails the task for good.
 */
export type Handler = (payload: unknown, context: TaskContext) => unknown;

/** Task type → handler: the default export of a handlers module. */
export type HandlerMap = Readonly<Record<string, Handler>>;
