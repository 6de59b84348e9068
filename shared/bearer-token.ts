import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { ConfigError } from './errors';

/** The metadata key the coordinator reads the token from (gRPC keys are lower case). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** Visible ASCII only: gRPC refuses other bytes in text metadata, and a stray space or newline is a paste error. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Checks a bearer token before it is used, so that a bad one is a configuration error at
 * start-up rather than a refusal (or a metadata error from grpc-js) on the first call.
 * The message never quotes the token: errors are printed and logged.
 * @param name the option as the user wrote it (`--token`, `BATON_TOKEN`, `token`).
 * @throws ConfigError when the token is empty or holds whitespace, control or non-ASCII characters.
 */
export function checkBearerToken(token: string, name: string): string {
  if (token === '') throw new ConfigError(name, 'must not be empty');
  if (!TOKEN_PATTERN.test(token)) {
    const characters = [...token];
    const index = characters.findIndex((char) => !TOKEN_PATTERN.test(char));
    const refused = characters[index]?.codePointAt(0) ?? 0;
    throw new ConfigError(name, `must be visible ASCII without spaces; character ${index + 1} is ${describeCharacter(refused)}`);
  }
  return token;
}

/** Names a refused character without echoing the secret around it. */
function describeCharacter(codePoint: number): string {
  if (codePoint === 0x20) return 'a space';
  if (codePoint < 0x20 || codePoint === 0x7f) return `the control character U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  return 'not ASCII';
}

/**
 * A client interceptor that sends `authorization: Bearer TOKEN` with every call.
 *
 * An interceptor rather than call credentials, because grpc-js refuses call credentials on an
 * insecure channel and a token must also work without TLS (a coordinator on loopback, or
 * behind a proxy that terminates TLS).
 * @param token already checked with {@link checkBearerToken}.
 */
export function bearerTokenInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_METADATA_KEY, value);
        next(metadata, listener);
      },
    });
}
