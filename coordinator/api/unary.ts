import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { BatonError } from '../../shared/errors';
import { toStatusObject } from '../../shared/grpc-status';
import type { Logger } from '../../shared/logger';
import type { Principal, Role } from '../security/principal';
import type { CallGuard } from './call-guard';
import { UndecodableMessage } from './strict-decoding';

/**
 * Adapts an async handler to grpc-js: the one place where a unary call is admitted (decoded,
 * authenticated, authorised for `roles`) and where a thrown error becomes a gRPC status.
 * BatonErrors keep their code and message; anything else is logged with its stack and
 * answered INTERNAL. `onFailure`, when given, hears of every failed call with its request
 * (undefined when it did not decode), whether admission or the handler failed.
 */
export function unary<Req, Res>(
  guard: CallGuard,
  method: string,
  roles: readonly Role[],
  handler: (request: Req, caller: Principal, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  onFailure?: (err: unknown, request: Req | undefined) => void,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let admitted: { request: Req; caller: Principal };
    try {
      admitted = guard.admit(call, call.request, method, roles);
    } catch (err: unknown) {
      logError(guard.logger, method, err);
      guard.failed(call, method, err);
      onFailure?.(err, (call.request as unknown) instanceof UndecodableMessage ? undefined : call.request);
      callback(toStatusObject(err));
      return;
    }
    // A handler that throws before its first await fails like one that rejects.
    new Promise<Res>((resolve) => resolve(handler(admitted.request, admitted.caller, call))).then(
      (response) => callback(null, response),
      (err: unknown) => {
        logError(guard.logger, method, err);
        guard.failed(call, method, err);
        onFailure?.(err, admitted.request);
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
