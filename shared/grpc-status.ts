import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { BatonError, type ErrorCode } from './errors';

const STATUS_BY_CODE: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  ABORTED: GrpcStatus.ABORTED,
  OUT_OF_RANGE: GrpcStatus.OUT_OF_RANGE,
  UNIMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  DATA_LOSS: GrpcStatus.DATA_LOSS,
  UNKNOWN: GrpcStatus.UNKNOWN,
  INTERNAL: GrpcStatus.INTERNAL,
};

const CODE_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(STATUS_BY_CODE).map(([code, status]) => [status, code as ErrorCode]),
);

/** The gRPC status for a BatonError code. */
export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  return STATUS_BY_CODE[code];
}

/**
 * Turns anything thrown into a gRPC status object: BatonErrors keep their code and
 * message; anything else becomes INTERNAL with a generic message (the caller logs it).
 */
export function toStatusObject(err: unknown): StatusObject {
  if (err instanceof BatonError) {
    return { code: grpcStatusOf(err.code), details: err.message, metadata: new Metadata() };
  }
  return { code: GrpcStatus.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** Turns a gRPC client error into a BatonError with the server's message. */
export function fromGrpcError(err: unknown): BatonError {
  if (err instanceof BatonError) return err;
  if (isServiceError(err)) {
    const code = CODE_BY_STATUS.get(err.code) ?? 'UNKNOWN';
    return new BatonError(code, err.details || err.message, { cause: err });
  }
  return new BatonError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Turns the status a server handler answered with (in process, not over the wire) into a BatonError. */
export function fromStatusObject(status: { code?: number; details?: string }): BatonError {
  const code = CODE_BY_STATUS.get(status.code ?? GrpcStatus.UNKNOWN) ?? 'UNKNOWN';
  return new BatonError(code, status.details ?? code);
}
