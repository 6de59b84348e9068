import { InvalidArgumentError } from '../shared/errors';
import { TaskState } from '../shared/gen/baton/v1/task';

/** The lower-case name of a task state, as the CLI prints and accepts it. */
export type TaskStateName = 'unspecified' | 'scheduled' | 'queued' | 'running' | 'succeeded' | 'dead' | 'canceled';

const NAME_BY_STATE: Readonly<Record<TaskState, TaskStateName>> = {
  [TaskState.TASK_STATE_UNSPECIFIED]: 'unspecified',
  [TaskState.TASK_STATE_SCHEDULED]: 'scheduled',
  [TaskState.TASK_STATE_QUEUED]: 'queued',
  [TaskState.TASK_STATE_RUNNING]: 'running',
  [TaskState.TASK_STATE_SUCCEEDED]: 'succeeded',
  [TaskState.TASK_STATE_DEAD]: 'dead',
  [TaskState.TASK_STATE_CANCELED]: 'canceled',
};

/** The names a user may filter by (every state but "unspecified"), in lifecycle order. */
export const TASK_STATE_NAMES: readonly TaskStateName[] = [
  'scheduled',
  'queued',
  'running',
  'succeeded',
  'dead',
  'canceled',
];

const STATE_BY_NAME = new Map<string, TaskState>(
  Object.entries(NAME_BY_STATE).map(([state, name]) => [name, Number(state) as TaskState]),
);
// British spelling, which users type as often as the American one.
STATE_BY_NAME.set('cancelled', TaskState.TASK_STATE_CANCELED);

const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_SUCCEEDED,
  TaskState.TASK_STATE_DEAD,
  TaskState.TASK_STATE_CANCELED,
]);

/**
 * The lower-case name of a state: `TaskState.TASK_STATE_DEAD` → `'dead'`. A value this client
 * does not know (a newer server) is named `'unspecified'`.
 */
export function taskStateName(state: TaskState): TaskStateName {
  return NAME_BY_STATE[state] ?? 'unspecified';
}

/**
 * Parses a state name, case-insensitively: `'dead'`, `'DEAD'`, `'TASK_STATE_DEAD'` and, for
 * canceled, `'cancelled'` all work.
 * @param what names the value in the error, e.g. `"--state"`; default `"state"`.
 * @throws InvalidArgumentError naming `what` and listing the valid names.
 */
export function parseTaskState(name: string, what = 'state'): TaskState {
  const normalised = name.trim().toLowerCase().replace(/^task_state_/, '');
  const state = STATE_BY_NAME.get(normalised);
  if (state === undefined || state === TaskState.TASK_STATE_UNSPECIFIED) {
    const expected = TASK_STATE_NAMES.join(', ');
    throw new InvalidArgumentError(`${what}: unknown task state "${name}"; expected one of ${expected}`);
  }
  return state;
}

/** True for SUCCEEDED, DEAD and CANCELED: the task will not change again unless retried. */
export function isTerminalState(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}
