import type { ConnectRequest } from '../shared/gen/baton/v1/worker_service';
import { MAX_CONCURRENCY } from '../shared/limits';

/** The part of a writable object stream the writer uses; a grpc-js ClientDuplexStream is one. */
export interface BackPressuredStream<T> {
  /** False once the stream's buffer is full: write nothing more until 'drain'. */
  write(message: T): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/**
 * Writes a worker's messages to its Connect stream in order, and honours back-pressure: once
 * `write()` returns false, later messages wait here, in order, until the stream drains.
 *
 * What waits is bounded by what the worker holds anyway. Each result goes to a stream once
 * (a result is sent again only on the next stream), so held results are at most the
 * unacknowledged ones; and while this stream's writes wait, the coordinator gets no credit, so
 * sends no leases, so at most `concurrency` more results can appear. A credit joins a credit
 * at the tail (slots add up) and a heartbeat replaces a heartbeat at the tail (the newer one
 * says everything the older did), so there is at most one of each per held results message.
 * Order is kept otherwise: a credit must not overtake the results before it, or the
 * coordinator would count their leases as still held and cap the credit. Progress never waits
 * here: it is written with {@link tryWrite} or not at all (progress-reports.ts keeps the
 * latest and tries again later).
 */
export class OrderedWriter {
  private held: ConnectRequest[] = [];
  private readonly onDrain = (): void => this.writeHeld();
  private waitingForDrain = false;
  private endRequested = false;
  private closed = false;

  constructor(private readonly stream: BackPressuredStream<ConnectRequest>) {}

  /** Messages written to nothing yet, waiting for the stream to drain. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Writes `message` now, or after what is held. Nothing is written once `end()` or `close()` was called. */
  write(message: ConnectRequest): void {
    if (this.closed || this.endRequested) return;
    if (this.waitingForDrain) {
      this.hold(message);
      return;
    }
    if (!this.stream.write(message)) this.waitForDrain();
  }

  /**
   * Writes `message` only if it goes out now, behind nothing: for what is better dropped (and
   * made again later) than held, such as progress. Nothing is written, and false returned,
   * while messages wait for the stream to drain, or once `end()` or `close()` was called.
   * @returns true if `message` was written.
   */
  tryWrite(message: ConnectRequest): boolean {
    if (this.closed || this.endRequested || this.waitingForDrain) return false;
    if (!this.stream.write(message)) this.waitForDrain();
    return true;
  }

  /** Half-closes the stream once everything held is written. Idempotent. */
  end(): void {
    if (this.closed || this.endRequested) return;
    this.endRequested = true;
    if (!this.waitingForDrain) this.stream.end();
  }

  /** The stream is over: what is held is dropped (unacknowledged results go out again on the next stream). */
  close(): void {
    this.closed = true;
    this.held = [];
    if (this.waitingForDrain) this.stream.removeListener('drain', this.onDrain);
    this.waitingForDrain = false;
  }

  private waitForDrain(): void {
    this.waitingForDrain = true;
    this.stream.once('drain', this.onDrain);
  }

  private writeHeld(): void {
    this.waitingForDrain = false;
    if (this.closed) return;
    let next = 0;
    while (next < this.held.length) {
      const message = this.held[next] as ConnectRequest;
      next += 1;
      if (!this.stream.write(message)) {
        this.held = this.held.slice(next);
        this.waitForDrain();
        return;
      }
    }
    this.held = [];
    if (this.endRequested) this.stream.end();
  }

  private hold(message: ConnectRequest): void {
    const last = this.held.at(-1)?.message;
    const next = message.message;
    // The coordinator refuses a Credit over MAX_CONCURRENCY slots; held credits stay below the
    // worker's concurrency anyway, as the coordinator never leases beyond it.
    if (last?.$case === 'credit' && next?.$case === 'credit' && last.value.slots + next.value.slots <= MAX_CONCURRENCY) {
      this.held[this.held.length - 1] = { message: { $case: 'credit', value: { slots: last.value.slots + next.value.slots } } };
    } else if (last?.$case === 'heartbeat' && next?.$case === 'heartbeat') {
      this.held[this.held.length - 1] = message;
    } else {
      this.held.push(message);
    }
  }
}
