import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { BatonError } from '../../shared/errors';
import { toStatusObject } from '../../shared/grpc-status';
import type { Logger } from '../../shared/logger';

/**
 * Adapts an async handler to grpc-js: the one place where a thrown error becomes a gRPC
 * status. BatonErrors keep their code and message; anything else is logged with its stack
 * and answered INTERNAL.
 */
export function unary<Req, Res>(
  logger: Logger,
  method: string,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    handler(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        logError(logger, method, err);
        callback(toStatusObject(err));
      },
    );
  };
}

export function logError(logger: Logger, method: string, err: unknown): void {
  if (err instanceof BatonError && err.code !== 'INTERNAL') logger.debug({ method, code: err.code, err_message: err.message }, 'request rejected');
  else logger.error({ method, err }, 'request failed');
}

/** Ends a server stream (server-streaming or bidi) with the status for `err`. */
export function endStreamWithError(call: { emit(event: 'error', error: unknown): boolean }, err: unknown): void {
  const status = toStatusObject(err);
  call.emit('error', { code: status.code, details: status.details, metadata: status.metadata });
}
