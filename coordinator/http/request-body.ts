import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '../../shared/errors';
import { HttpRefusal } from './http-errors';
import { parseJsonBody } from './json-text';

/**
 * The request's body as JSON (parsed strictly by json-text.ts, payloads kept as their text),
 * or undefined when it has none. At most `limitBytes` are read:
 * a larger Content-Length is refused before reading, and a body that grows past the limit
 * while it arrives is refused as soon as it does.
 * @throws HttpRefusal 413 (too large) or 415 (not JSON); InvalidArgumentError for bad JSON.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) throw tooLarge(Number(declared), limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(size, limitBytes);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpRefusal(415, 'INVALID_ARGUMENT', `body: the Content-Type must be application/json, got "${type ?? ''}"`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw new InvalidArgumentError('body: not valid UTF-8');
  }
  return parseJsonBody(text, RAW_KEYS);
}

/** Keys whose values are kept as written: a payload's bytes are its submitter's text. */
const RAW_KEYS: ReadonlySet<string> = new Set(['payload']);

/** Refuses invalid UTF-8 instead of substituting U+FFFD, as the gRPC port does: two different keys never read as one. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function tooLarge(size: number, limitBytes: number): HttpRefusal {
  return new HttpRefusal(413, 'RESOURCE_EXHAUSTED', `body: ${size} bytes is over the limit of ${limitBytes} bytes (maxPayloadBytes plus 1 MiB for the rest of the request)`, { connection: 'close' });
}
