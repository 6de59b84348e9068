/**
 * Errors a TaskStore reports for one write. Any store implementation (SQLite now, PostgreSQL
 * later) throws these, so that the core can tell a lost idempotency race from a failure.
 */
import { BatonError, FailedPreconditionError } from '../../shared/errors';

/** An insert collided with an existing task's id or idempotency key; nothing of its write was applied. */
export class DuplicateTaskError extends BatonError {
  /** Which unique field collided. */
  readonly field: 'id' | 'idempotencyKey';
  /** The id of the task that was being inserted. */
  readonly taskId: string;
  readonly idempotencyKey: string | null;

  constructor(field: 'id' | 'idempotencyKey', taskId: string, idempotencyKey: string | null, options?: { cause?: unknown }) {
    const message =
      field === 'id'
        ? `task ${taskId} already exists`
        : `idempotency key ${JSON.stringify(idempotencyKey)} is already used by another task`;
    super('ALREADY_EXISTS', message, options);
    this.field = field;
    this.taskId = taskId;
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * A FailedPreconditionError that carries a cause. shared/errors.ts's constructor takes no
 * options yet, so the cause is attached the way `new Error(message, { cause })` would do it.
 */
export function failedPrecondition(message: string, cause?: unknown): FailedPreconditionError {
  const err = new FailedPreconditionError(message);
  if (cause !== undefined) {
    Object.defineProperty(err, 'cause', { value: cause, writable: true, enumerable: false, configurable: true });
  }
  return err;
}
