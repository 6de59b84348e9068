import type { ClientDuplexStream, status, StatusObject } from '@grpc/grpc-js';

/** How a call ended, as the client saw it. */
export interface CallOutcome {
  readonly code: status;
  readonly details: string;
  /** Raw response messages, undecoded. */
  readonly responses: readonly Buffer[];
  /** True when the fuzzer itself cancelled the call (the status is then the client's CANCELLED). */
  readonly cancelledByUs: boolean;
}

/** Longest wait for our own messages to leave (a congested connection) before silence is counted. */
const MAX_UPLOAD_WAIT_MS = 30_000;
/** Extra patience per KiB a stream sent, for the server to read and decode it under load. */
const UPLOAD_MS_PER_KB = 5;

/** One raw bidi stream: writes bytes, collects answers, and settles `ended` with the final status. */
export class RawStream {
  readonly responses: Buffer[] = [];
  readonly ended: Promise<CallOutcome>;
  private halfClosed = false;
  private cancelled = false;
  private finished = false;
  /** Messages written but not yet handed to the connection (flow control can hold big ones back). */
  private unsent = 0;
  /** When the server first said anything on this stream (a message or the status). */
  firstAnswerAtMs: number | undefined;
  /** When its status arrived. */
  endedAtMs: number | undefined;
  /** When we half-closed or cancelled it. */
  closedByUsAtMs: number | undefined;
  private bytesWritten = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly call: ClientDuplexStream<Buffer, Buffer>) {
    call.on('data', (message: Buffer) => {
      this.firstAnswerAtMs ??= Date.now();
      this.responses.push(message);
      this.notify();
    });
    call.on('error', () => undefined); // the status event carries the same code
    this.ended = new Promise((resolve) => {
      call.on('status', (result: StatusObject) => {
        this.firstAnswerAtMs ??= Date.now();
        this.endedAtMs = Date.now();
        this.finished = true;
        resolve({ code: result.code, details: result.details, responses: this.responses, cancelledByUs: this.cancelled });
        this.notify();
      });
    });
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** False while the stream can still carry a message from us. */
  get isClosedForWriting(): boolean {
    return this.halfClosed || this.cancelled || this.finished;
  }

  /** Sends one message; returns false when the stream no longer takes any (the client refuses). */
  write(bytes: Buffer): boolean {
    if (this.isClosedForWriting) return false;
    this.unsent += 1;
    this.bytesWritten += bytes.length;
    this.call.write(bytes, () => {
      this.unsent -= 1;
      this.notify();
    });
    return true;
  }

  halfClose(): void {
    if (this.isClosedForWriting) return;
    this.halfClosed = true;
    this.closedByUsAtMs = Date.now();
    this.call.end();
  }

  cancel(): void {
    if (this.finished || this.cancelled) return;
    this.cancelled = true;
    this.closedByUsAtMs ??= Date.now();
    this.call.cancel();
  }

  /**
   * Resolves when `predicate` holds (checked now and after every message or the end), or
   * after `timeoutMs`; returns whether it held.
   */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) done(true);
        else if (this.finished) done(predicate());
      };
      const timer = setTimeout(() => done(predicate()), timeoutMs);
      const done = (held: boolean): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(held);
      };
      this.listeners.add(check);
    });
  }

  /**
   * Resolves true once the stream has ended, or false when, after everything we wrote has
   * gone out, it stays silent (no message, no status) for `idleMs`: a stream still sending
   * is slow, not hung.
   */
  async waitForEnd(idleMs: number): Promise<boolean> {
    // The server cannot answer what it has not received: silence counts from the last byte sent.
    await this.waitFor(() => this.finished || this.unsent === 0, MAX_UPLOAD_WAIT_MS);
    // Handed to the connection is not yet received and decoded: big messages earn more time.
    const patienceMs = idleMs + Math.ceil(this.bytesWritten / 1024) * UPLOAD_MS_PER_KB;
    for (;;) {
      const seen = this.responses.length;
      if (await this.waitFor(() => this.finished || this.responses.length > seen, patienceMs)) {
        if (this.finished) return true;
        continue;
      }
      return false;
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
