import { AttemptOutcome } from '../shared/gen/baton/v1/task';

/** The lower-case name of an attempt outcome, as the CLI prints it. */
export type AttemptOutcomeName =
  | 'unspecified'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'worker_lost'
  | 'canceled';

const NAME_BY_OUTCOME: Readonly<Record<AttemptOutcome, AttemptOutcomeName>> = {
  [AttemptOutcome.ATTEMPT_OUTCOME_UNSPECIFIED]: 'unspecified',
  [AttemptOutcome.ATTEMPT_OUTCOME_RUNNING]: 'running',
  [AttemptOutcome.ATTEMPT_OUTCOME_SUCCEEDED]: 'succeeded',
  [AttemptOutcome.ATTEMPT_OUTCOME_FAILED]: 'failed',
  [AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT]: 'timed_out',
  [AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST]: 'worker_lost',
  [AttemptOutcome.ATTEMPT_OUTCOME_CANCELED]: 'canceled',
};

/** `AttemptOutcome.ATTEMPT_OUTCOME_TIMED_OUT` → `'timed_out'`; unknown values → `'unspecified'`. */
export function attemptOutcomeName(outcome: AttemptOutcome): AttemptOutcomeName {
  return NAME_BY_OUTCOME[outcome] ?? 'unspecified';
}
