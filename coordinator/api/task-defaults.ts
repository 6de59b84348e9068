import type { BackoffPolicy } from '../../shared/backoff';

/** What a task gets for every option its submitter left unset. */
export interface TaskDefaults {
  readonly maxAttempts: number;
  readonly retry: BackoffPolicy;
  /** Execution timeout; 0 means none. */
  readonly timeoutMs: number;
  /** Null: infrastructure failures count against maxAttempts. */
  readonly maxInfraFailures: number | null;
}

/** Limits and defaults that shape every submission; part of the coordinator's config. */
export interface SubmitPolicy {
  readonly maxPayloadBytes: number;
  readonly defaults: TaskDefaults;
  /** Per-queue overrides, already merged over `defaults`. */
  readonly queues: ReadonlyMap<string, TaskDefaults>;
}

export function defaultsFor(policy: SubmitPolicy, queue: string): TaskDefaults {
  return policy.queues.get(queue) ?? policy.defaults;
}
