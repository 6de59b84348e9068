/**
 * Thrown by a handler for a failure that retrying cannot fix (bad input, a missing record):
 * the task goes straight to DEAD instead of being retried.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** Also honours errors from another copy of this package, or `{ nonRetryable: true }`. */
export function isNonRetryable(err: unknown): boolean {
  if (err instanceof NonRetryableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  return (err as { name?: unknown }).name === 'NonRetryableError' || (err as { nonRetryable?: unknown }).nonRetryable === true;
}
