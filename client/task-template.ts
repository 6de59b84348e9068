import { BatonError, InvalidArgumentError } from '../shared/errors';
import type { TaskTemplate } from '../shared/gen/baton/v1/schedule';
import { toSubmitTaskRequest, type SubmitOptions } from './submit-request';

/**
 * The options of a submission that make sense for a task that recurs: all of `submit`'s but
 * `delay`, `runAt`, `idempotencyKey`, `traceContext` and `signal`.
 */
export type TaskTemplateOptions = Omit<SubmitOptions, 'delay' | 'runAt' | 'idempotencyKey' | 'traceContext' | 'signal'>;

/** What each fire of a schedule submits: a task type, its payload and the submission's options. */
export interface TaskTemplateInput extends TaskTemplateOptions {
  /** The handler name a worker registers. */
  readonly type: string;
  /** A JSON-serialisable value (encoded as JSON), or a Buffer/Uint8Array sent as is, as for `submit`. */
  readonly payload?: unknown;
}

/** Submit options a template refuses, with the reason a JavaScript caller (no type checks) gets. */
const NOT_FOR_A_TEMPLATE: ReadonlyArray<readonly [string, string]> = [
  ['delay', "each fire's task runs at its fire time (`jitter` spreads them out)"],
  ['runAt', "each fire's task runs at its fire time (`startTime` sets the first)"],
  ['idempotencyKey', "each fire's key is derived from the schedule's name and the fire time"],
  ['traceContext', "each fire's task starts a trace of its own"],
];

/**
 * Builds the TaskTemplate of a schedule with `submit`'s own encoding (toSubmitTaskRequest):
 * the same payload rules, durations and wire-type checks, and nothing else checked here.
 * @param what names the template in errors; default `"task"`.
 * @throws InvalidArgumentError naming the option (`task.priority: ...`, `task.delay: not for a schedule ...`).
 */
export function toTaskTemplate(input: TaskTemplateInput, what = 'task'): TaskTemplate {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError(`${what}: expected an object with at least a type`);
  }
  const given = input as unknown as Readonly<Record<string, unknown>>;
  for (const [key, reason] of NOT_FOR_A_TEMPLATE) {
    if (given[key] !== undefined) throw new InvalidArgumentError(`${what}.${key}: not for a schedule: ${reason}`);
  }
  let request;
  try {
    request = toSubmitTaskRequest(input.type, input.payload, input);
  } catch (err: unknown) {
    if (!(err instanceof BatonError)) throw err;
    throw new BatonError(err.code, `${what}.${err.message}`, { cause: err });
  }
  const { queue, type, payload, contentType, priority, maxAttempts, retry, timeout, labels } = request;
  return { queue, type, payload, contentType, priority, maxAttempts, retry, timeout, labels };
}
