import { BatonError, type ErrorCode } from '../../shared/errors';

/** The HTTP status of each gRPC code, as Google's API design guide maps them (google.rpc.Code). */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** The JSON error body: the HTTP status, the gRPC code name and the message. */
export interface HttpErrorBody {
  readonly error: { readonly code: number; readonly status: ErrorCode; readonly message: string };
}

/**
 * An error before any RPC ran (an unknown route, a wrong method, a body too large): its
 * HTTP status is the one that says so, which the gRPC code alone would not.
 */
export class HttpRefusal extends BatonError {
  constructor(
    readonly httpStatus: number,
    code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message);
  }
}

/** The status and body for anything thrown: BatonErrors keep their code and message; the rest is INTERNAL. */
export function httpError(err: unknown): { status: number; body: HttpErrorBody; headers: Readonly<Record<string, string>> } {
  if (!(err instanceof BatonError)) return { status: 500, body: { error: { code: 500, status: 'INTERNAL', message: 'internal error' } }, headers: {} };
  const status = err instanceof HttpRefusal ? err.httpStatus : HTTP_STATUS[err.code];
  return { status, body: { error: { code: status, status: err.code, message: err.message } }, headers: err instanceof HttpRefusal ? err.headers : {} };
}

/** The HTTP status for a gRPC code name. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}
