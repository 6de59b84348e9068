import { InvalidArgumentError } from './errors';

export const JSON_CONTENT_TYPE = 'application/json';

/** Encodes a value as a JSON payload. `undefined` becomes an empty payload. */
export function encodeJson(value: unknown): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * Decodes a payload: JSON content (or no content type) is parsed; an empty payload is
 * undefined; any other content type is returned as the raw bytes.
 * @throws InvalidArgumentError when a JSON payload does not parse.
 */
export function decodePayload(bytes: Uint8Array, contentType: string): unknown {
  if (contentType !== '' && contentType !== JSON_CONTENT_TYPE) return Buffer.from(bytes);
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch (err: unknown) {
    throw new InvalidArgumentError('payload is not valid JSON', { cause: err });
  }
}
