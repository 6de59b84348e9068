import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { BatonError } from '../shared/errors';

/** The four-argument form of a generated grpc-js unary method. */
export type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

export interface UnaryCallOptions {
  /** The call fails with DEADLINE_EXCEEDED after this long. */
  readonly deadlineMs: number;
  /** Cancels the call; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Turns a grpc-js error into the BatonError the caller sees. */
  readonly toError: (err: unknown) => BatonError;
}

/**
 * Runs one unary call as a promise. The call fails fast (grpc-js's default, no
 * wait-for-ready) when the coordinator cannot be reached, and never outlives its deadline.
 */
export function callUnary<Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  options: UnaryCallOptions,
): Promise<Response> {
  const { signal, toError } = options;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let call: ClientUnaryCall | undefined;
    const onAbort = (): void => call?.cancel();
    try {
      call = method(request, new Metadata(), { deadline: Date.now() + options.deadlineMs }, (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        // A response that made it back wins over a late abort: a submitted task stays submitted.
        if (!error) resolve(response);
        else reject(signal?.aborted ? signal.reason : toError(error));
      });
    } catch (err: unknown) {
      // grpc-js throws synchronously on a closed channel or an unserialisable request.
      reject(toError(err));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `BatonClient`'s way of making a unary call (its deadline, its error mapping, the closed
 * check), handed to the modules that make its schedule and queue calls.
 */
export type UnaryCaller = <Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  signal: AbortSignal | undefined,
) => Promise<Response>;
