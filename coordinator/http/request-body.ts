import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '../../shared/errors';
import { HttpRefusal } from './http-errors';
import { parseJsonBody } from './json-text';

/**
 * The request's body as JSON (parsed strictly by json-text.ts, payloads kept as their text),
 * or undefined when it has none. At most `limitBytes` are read:
 * a larger Content-Length is refused before reading, and a body that grows past the limit
 * while it arrives is refused as soon as it does. A client that waits for `100 Continue`
 * gets it here, after every check that needs no body (`sendContinue`).
 * @throws HttpRefusal 413 (too large) or 415 (not JSON); InvalidArgumentError for bad JSON.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number, sendContinue: () => void): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) throw tooLarge(Number(declared), limitBytes);
  if (/^100-continue$/i.test(req.headers.expect ?? '')) sendContinue();
  const body = await collect(req, limitBytes);
  const size = body.length;
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpRefusal(415, 'INVALID_ARGUMENT', `body: the Content-Type must be application/json, got "${type ?? ''}"`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw new InvalidArgumentError('body: not valid UTF-8');
  }
  return parseJsonBody(text, RAW_KEYS);
}

/** Keys whose values are kept as written: a payload's bytes are its submitter's text. */
const RAW_KEYS: ReadonlySet<string> = new Set(['payload']);

/**
 * The body's bytes, refused as soon as they pass `limitBytes`. Read with listeners, not an
 * async iterator: leaving an iterator early destroys the request, and with it the socket
 * the 413 must go out on (the refusal says `connection: close`, and Node then drops the
 * rest of the body).
 */
function collect(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: Error | undefined, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      if (err === undefined) resolve(body ?? Buffer.alloc(0));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        req.pause();
        settle(tooLarge(size, limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(undefined, Buffer.concat(chunks, size)));
    req.once('error', (err) => settle(err));
    // Closed before its end: the client went away mid-body.
    req.once('close', () => settle(new Error('aborted: the client closed the request before its end')));
  });
}

/** Refuses invalid UTF-8 instead of substituting U+FFFD, as the gRPC port does: two different keys never read as one. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function tooLarge(size: number, limitBytes: number): HttpRefusal {
  return new HttpRefusal(413, 'RESOURCE_EXHAUSTED', `body: ${size} bytes is over the limit of ${limitBytes} bytes (maxPayloadBytes plus 1 MiB for the rest of the request)`, { connection: 'close' });
}
