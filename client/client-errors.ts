import { BatonError, UnavailableError } from '../shared/errors';
import { fromGrpcError } from '../shared/grpc-status';

const CONNECTION_DROPPED = /RST_STREAM|Session closed|GOAWAY/i;

/** The coordinator was reached, then the connection went: unlike "unreachable", worth retrying at once. */
export class ConnectionDroppedError extends UnavailableError {}

/**
 * Turns a failed call into a BatonError with the server's message. Transport failures
 * (nothing answered, or not in time) also name the coordinator's address, because "connect
 * ECONNREFUSED" alone does not say which of several addresses was wrong.
 */
export function toClientError(err: unknown, address: string): BatonError {
  if (err instanceof BatonError) return err;
  const error = fromGrpcError(err);
  if (error.code === 'UNAVAILABLE') {
    // grpc-js appends an empty "Resolution note: " to connection failures.
    const detail = error.message.replace(/\s*Resolution note:\s*$/, '');
    return new UnavailableError(`coordinator at ${address} is unavailable: ${detail}`, { cause: err });
  }
  if (error.code === 'INTERNAL' && CONNECTION_DROPPED.test(error.message)) {
    // grpc-js reports a connection the server tore down (GOAWAY, reset) as INTERNAL; it is the
    // transport failing, not the coordinator's logic, and retrying is right.
    return new ConnectionDroppedError(`coordinator at ${address} dropped the connection: ${error.message}`, { cause: err });
  }
  if (error.code === 'DEADLINE_EXCEEDED') {
    return new BatonError('DEADLINE_EXCEEDED', `coordinator at ${address} did not answer in time: ${error.message}`, {
      cause: err,
    });
  }
  return error;
}
