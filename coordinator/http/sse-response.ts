import type { ServerResponse } from 'node:http';
import { httpError } from './http-errors';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * A server-streaming RPC as Server-Sent Events: one `data:` line of JSON per message, then
 * `event: end` with `{}`, or with the JSON error when the stream fails. Nothing is written
 * until the first message, so a call refused at once (unauthenticated, an unknown task) gets
 * an ordinary HTTP error status instead of a 200 stream.
 */
export class SseResponse {
  private started = false;
  private finished = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    /** Answers a failure that came before any message, as a non-streaming error. */
    private readonly refuse: (err: unknown) => void,
  ) {}

  /** Writes one message (its JSON text); false when the socket's buffer is full ('drain' on the response follows). */
  send(json: string): boolean {
    if (this.finished) return false;
    this.start();
    // One `data:` line per line of the JSON (a payload's own text may hold newlines).
    return this.res.write(`data: ${json.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`);
  }

  end(): void {
    if (this.finished) return;
    this.start();
    this.finish('{}');
  }

  fail(err: unknown): void {
    if (this.finished) return;
    if (!this.started) {
      this.finished = true;
      this.refuse(err);
      return;
    }
    this.finish(JSON.stringify(httpError(err).body));
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx and others buffer responses unless told not to; events must arrive as they happen.
      'x-accel-buffering': 'no',
    });
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  private finish(data: string): void {
    this.finished = true;
    clearInterval(this.keepAlive);
    this.res.end(`event: end\ndata: ${data}\n\n`);
  }

  /** Stops the keep-alive when the client went away. */
  closed(): void {
    this.finished = true;
    clearInterval(this.keepAlive);
  }
}
