/**
 * The BatonError family. Every failure that crosses a module boundary is one of these, with
 * a `code` that maps one-to-one onto a gRPC status at the edge (see grpc-status.ts).
 */

export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'DATA_LOSS'
  | 'UNKNOWN'
  | 'INTERNAL';

export class BatonError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A request or option is malformed; the message names the field. */
export class InvalidArgumentError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

export class NotFoundError extends BatonError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** The request would create something whose name is taken. */
export class AlreadyExistsError extends BatonError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message);
  }
}

/** The request is well-formed but the target is in the wrong state for it. */
export class FailedPreconditionError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export class ResourceExhaustedError extends BatonError {
  constructor(message: string) {
    super('RESOURCE_EXHAUSTED', message);
  }
}

/** No credential, or one the coordinator does not accept. */
export class UnauthenticatedError extends BatonError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** A valid credential whose role or queues do not allow the call. */
export class PermissionDeniedError extends BatonError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

export class UnavailableError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A configuration value is wrong; `key` names it as the user wrote it. */
export class ConfigError extends BatonError {
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `${key}: ${message}`, options);
    this.key = key;
  }
}

/** Returns the message of anything thrown, without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
