import { BatonError, type ErrorCode } from '../shared/errors';
import type { SubmitTaskRequest, SubmitTaskResponse } from '../shared/gen/baton/v1/task_queue';

/** The most submits that share one SubmitTasks call. */
export const MAX_COALESCED_SUBMITS = 1000;
/** The most payload bytes that share one call: well inside the coordinator's message limit (its payload limit + 1 MiB). */
export const MAX_COALESCED_BYTES = 256 * 1024;
/** A payload this large travels alone, as it always did. */
const ALONE_FROM_BYTES = 64 * 1024;
/** What a request costs beyond its payload, as counted against MAX_COALESCED_BYTES. */
const REQUEST_OVERHEAD_BYTES = 256;

/**
 * Refusals that belong to one request (a field, a queue's limit or permission), not to the
 * call: a batch refused so is sent again one request at a time, so that each submit gets the
 * outcome it would have had alone. Nothing of a refused batch was committed (SubmitTasks is
 * all or nothing), so nothing is submitted twice.
 */
const PER_REQUEST_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'RESOURCE_EXHAUSTED',
  'PERMISSION_DENIED',
  'FAILED_PRECONDITION',
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'OUT_OF_RANGE',
]);

interface PendingSubmit {
  readonly request: SubmitTaskRequest;
  readonly resolve: (response: SubmitTaskResponse) => void;
  readonly reject: (err: unknown) => void;
}

export interface SubmitCoalescerOptions {
  /** One SubmitTask call. */
  readonly sendOne: (request: SubmitTaskRequest) => Promise<SubmitTaskResponse>;
  /** One SubmitTasks call; its responses in request order. */
  readonly sendMany: (requests: SubmitTaskRequest[]) => Promise<SubmitTaskResponse[]>;
}

/**
 * Concurrent submits share calls, as a Redis client pipelines commands: the submits made
 * while the event loop runs one turn go out together as one SubmitTasks at the end of it. A
 * lone submit is one SubmitTask, exactly as before, and costs one setImmediate of delay; 64
 * submits in flight cost one call instead of 64, whose per-call work in grpc-js on both ends
 * is most of what a small task costs. Each submit still resolves or rejects on its own.
 */
export class SubmitCoalescer {
  private pending: PendingSubmit[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(private readonly options: SubmitCoalescerOptions) {}

  submit(request: SubmitTaskRequest): Promise<SubmitTaskResponse> {
    const bytes = request.payload.length + REQUEST_OVERHEAD_BYTES;
    if (bytes >= ALONE_FROM_BYTES) return this.options.sendOne(request);
    return new Promise<SubmitTaskResponse>((resolve, reject) => {
      if (this.pendingBytes + bytes > MAX_COALESCED_BYTES) this.flush();
      this.pending.push({ request, resolve, reject });
      this.pendingBytes += bytes;
      if (this.pending.length >= MAX_COALESCED_SUBMITS) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 1) {
      const [only] = batch as [PendingSubmit];
      this.options.sendOne(only.request).then(only.resolve, only.reject);
      return;
    }
    this.options.sendMany(batch.map((item) => item.request)).then(
      (responses) => batch.forEach((item, index) => deliver(item, responses[index])),
      (err: unknown) => {
        if (err instanceof BatonError && PER_REQUEST_CODES.has(err.code)) {
          for (const item of batch) this.options.sendOne(item.request).then(item.resolve, item.reject);
        } else {
          for (const item of batch) item.reject(err);
        }
      },
    );
  }
}

function deliver(item: PendingSubmit, response: SubmitTaskResponse | undefined): void {
  if (response) item.resolve(response);
  else item.reject(new BatonError('INTERNAL', 'the coordinator answered a SubmitTasks with fewer responses than requests'));
}
