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
}

/**
 * A task handler. It receives the decoded payload (JSON by default) and returns the result
 * (JSON-encoded; a Buffer is sent as is). Throwing fails the attempt; throwing a
 * NonRetryableError fails the task for good.
 */
export type Handler = (payload: unknown, context: TaskContext) => unknown;

/** Task type → handler: the default export of a handlers module. */
export type HandlerMap = Readonly<Record<string, Handler>>;
