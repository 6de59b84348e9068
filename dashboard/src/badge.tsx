import { shortOutcome, shortState } from './format';

/** A task state as a colored badge; its text is the short name ("RUNNING"). */
export function StateBadge({ state, testid }: { state: string | undefined; testid?: string }) {
  const s = shortState(state);
  return (
    <span class={`badge st-${s.toLowerCase()}`} data-testid={testid}>
      {s}
    </span>
  );
}

/** Attempt outcomes share the state colors where the meaning is the same. */
const OUTCOME_CLASS: Record<string, string> = {
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'dead',
  TIMED_OUT: 'dead',
  WORKER_LOST: 'scheduled',
  CANCELED: 'canceled',
};

export function OutcomeBadge({ outcome, testid }: { outcome: string | undefined; testid?: string }) {
  const s = shortOutcome(outcome);
  return (
    <span class={`badge st-${OUTCOME_CLASS[s] ?? 'unspecified'}`} data-testid={testid}>
      {s}
    </span>
  );
}
