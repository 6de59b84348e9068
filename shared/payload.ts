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
 * @param rawBytes for a payload returned as bytes: `copy` (the default) gives the caller a
 *   Buffer of its own; `share` a Buffer over `bytes` themselves, for a caller that owns them.
 * @throws InvalidArgumentError when a JSON payload does not parse.
 */
export function decodePayload(bytes: Uint8Array, contentType: string, rawBytes: 'copy' | 'share' = 'copy'): unknown {
  // A view, not a copy: JSON is parsed from it, and shared bytes are returned as it.
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (contentType !== '' && contentType !== JSON_CONTENT_TYPE) return rawBytes === 'share' ? view : Buffer.from(bytes);
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(view.toString('utf8')) as unknown;
  } catch (err: unknown) {
    throw new InvalidArgumentError('payload is not valid JSON', { cause: err });
  }
}
