/**
 * A real OTLP trace receiver for tests and benchmarks: a server on 127.0.0.1, port 0, that
 * takes trace exports exactly as the official OTLP exporters send them, over any one of the
 * three OTLP protocols, and decodes them into plain {@link ReceivedSpan}s.
 *
 * - `http/protobuf` and `http/json`: `POST /v1/traces`, `/v1/metrics` and `/v1/logs`, gzip or
 *   deflate content-encoding allowed. A receiver accepts only its own protocol's content type,
 *   so an exporter set to the wrong protocol shows up in {@link OtlpReceiver.errors}.
 * - `grpc`: `TraceService/Export` (and, counted only, `MetricsService/Export` and
 *   `LogsService/Export`), plaintext.
 *
 * Only traces are decoded; metrics and logs requests are answered and counted. Every request
 * is counted, so a test can assert that nothing at all was sent. With `decode: false` bodies
 * are counted and discarded, for benchmarks that need a sink costing as little as possible.
 *
 * No mocha globals here: benchmarks import this file too.
 */
import { startTransport, type OtlpProtocol, type ReceiverSink, type Transport } from './otlp/otlp-transports';
import type { ReceivedSpan } from './otlp/otlp-wire';

export type { OtlpProtocol } from './otlp/otlp-transports';
export type {
  AttributeValue,
  ReceivedAttributes,
  ReceivedEvent,
  ReceivedLink,
  ReceivedSpan,
  ReceivedSpanKind,
  ReceivedStatusCode,
} from './otlp/otlp-wire';

export interface OtlpReceiverOptions {
  /**
   * Decode trace exports into {@link OtlpReceiver.spans}. With `false` the receiver only
   * counts requests and bytes, and `spans` stays empty. Default `true`.
   */
  readonly decode?: boolean;
}

export interface OtlpReceiver {
  readonly protocol: OtlpProtocol;
  /** `http://127.0.0.1:PORT`: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`, whatever the protocol. */
  readonly endpoint: string;
  /** Every span received so far, in arrival order (a live view). */
  readonly spans: readonly ReceivedSpan[];
  /**
   * Every request received, on any path, good or bad. (Over gRPC, calls to the three Export
   * methods: grpc-js answers calls to any other method UNIMPLEMENTED without showing them.)
   */
  readonly requests: number;
  /** {@link requests} by HTTP path, or by gRPC method path (`/package.Service/Method`). */
  readonly requestsByPath: ReadonlyMap<string, number>;
  /**
   * Body bytes received: as sent for HTTP (before gunzip); for gRPC, the message bytes after
   * grpc-js has decompressed them.
   */
  readonly bytes: number;
  /** Requests that were refused (wrong path or content type, undecodable body), as errors. */
  readonly errors: readonly Error[];
  /**
   * Resolves with a snapshot of {@link spans} as soon as `predicate` holds for them (checked
   * now and whenever spans arrive, never by polling).
   * @param timeoutMs default {@link DEFAULT_WAIT_FOR_SPANS_TIMEOUT_MS}
   * @throws (rejects) on timeout with a message listing what was received, on `signal`'s
   * abort with its reason, when the receiver closes, or with what `predicate` threw.
   */
  waitForSpans(
    predicate: (spans: readonly ReceivedSpan[]) => boolean,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<readonly ReceivedSpan[]>;
  /** Stops the server and drops its connections; idempotent. Pending waits reject. */
  close(): Promise<void>;
}

export const DEFAULT_WAIT_FOR_SPANS_TIMEOUT_MS = 10_000;
/** setTimeout fires at once for longer delays (it warns and uses 1 ms); wait this long at most. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** At most this many spans are listed in a timeout message. */
const MAX_SPANS_DESCRIBED = 40;

/**
 * Starts a receiver for `protocol` on 127.0.0.1 on a free port.
 * @throws when the server cannot listen or the protos cannot be loaded.
 */
export async function startOtlpReceiver(protocol: OtlpProtocol, options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const recording = new Recording(options.decode ?? true);
  const transport = await startTransport(protocol, recording);
  return new Receiver(protocol, `http://127.0.0.1:${transport.port}`, recording, transport);
}

interface Waiter {
  check(): void;
  fail(err: Error): void;
}

class Recording implements ReceiverSink {
  readonly spans: ReceivedSpan[] = [];
  readonly errors: Error[] = [];
  readonly requestsByPath = new Map<string, number>();
  requests = 0;
  bytes = 0;
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  constructor(readonly decode: boolean) {}

  onRequest(path: string): void {
    this.requests += 1;
    this.requestsByPath.set(path, (this.requestsByPath.get(path) ?? 0) + 1);
  }

  onBytes(count: number): void {
    this.bytes += count;
  }

  onSpans(spans: readonly ReceivedSpan[]): void {
    if (spans.length === 0) return;
    for (const span of spans) this.spans.push(span);
    for (const waiter of [...this.waiters]) waiter.check();
  }

  onError(err: Error): void {
    this.errors.push(err);
  }

  waitForSpans(
    predicate: (spans: readonly ReceivedSpan[]) => boolean,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<readonly ReceivedSpan[]> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.reject(new Error('the OTLP receiver is closed'));
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const fail = (err: Error): void => {
        settle();
        reject(err);
      };
      const waiter: Waiter = {
        check: () => {
          try {
            if (!predicate(this.spans)) return;
          } catch (err: unknown) {
            fail(asError(err));
            return;
          }
          settle();
          resolve(this.spans.slice());
        },
        fail,
      };
      const onAbort = (): void => fail(abortReason(signal));
      const timer = setTimeout(
        () => fail(new Error(`no matching spans within ${timeoutMs} ms; ${this.describe()}`)),
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.fail(new Error('the OTLP receiver closed while waiting for spans'));
  }

  /** What arrived, for failure messages. */
  describe(): string {
    const paths = [...this.requestsByPath].map(([path, count]) => `${path} ×${count}`).join(', ');
    const lines = [`received ${this.requests} request(s)${paths === '' ? '' : ` (${paths})`} and ${this.spans.length} span(s)`];
    for (const span of this.spans.slice(0, MAX_SPANS_DESCRIBED)) {
      const parent = span.parentSpanId === '' ? 'root' : `parent ${span.parentSpanId}`;
      lines.push(`  ${span.name} [${span.kind}, ${span.status.code}] trace ${span.traceId} span ${span.spanId} ${parent}`);
    }
    if (this.spans.length > MAX_SPANS_DESCRIBED) lines.push(`  … and ${this.spans.length - MAX_SPANS_DESCRIBED} more`);
    for (const err of this.errors) lines.push(`  refused: ${err.message}`);
    return lines.join('\n');
  }
}

class Receiver implements OtlpReceiver {
  private closing: Promise<void> | undefined;

  constructor(
    readonly protocol: OtlpProtocol,
    readonly endpoint: string,
    private readonly recording: Recording,
    private readonly transport: Transport,
  ) {}

  get spans(): readonly ReceivedSpan[] {
    return this.recording.spans;
  }
  get requests(): number {
    return this.recording.requests;
  }
  get requestsByPath(): ReadonlyMap<string, number> {
    return this.recording.requestsByPath;
  }
  get bytes(): number {
    return this.recording.bytes;
  }
  get errors(): readonly Error[] {
    return this.recording.errors;
  }

  waitForSpans(
    predicate: (spans: readonly ReceivedSpan[]) => boolean,
    timeoutMs = DEFAULT_WAIT_FOR_SPANS_TIMEOUT_MS,
    signal?: AbortSignal,
  ): Promise<readonly ReceivedSpan[]> {
    return this.recording.waitForSpans(predicate, timeoutMs, signal);
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.recording.close();
      this.closing = this.transport.close();
    }
    return this.closing;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new Error('waitForSpans was aborted');
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
