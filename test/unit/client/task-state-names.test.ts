import { expect } from 'chai';
import { BatonError } from '../../../shared/errors';
import { TaskState } from '../../../shared/gen/baton/v1/task';
import { isTerminalState, parseTaskState, taskStateName, TASK_STATE_NAMES } from '../../../client/task-state-names';

describe('task state names', () => {
  it('names every state in lower case', () => {
    expect(taskStateName(TaskState.TASK_STATE_SCHEDULED)).to.equal('scheduled');
    expect(taskStateName(TaskState.TASK_STATE_DEAD)).to.equal('dead');
    expect(taskStateName(TaskState.TASK_STATE_CANCELED)).to.equal('canceled');
    expect(taskStateName(TaskState.TASK_STATE_UNSPECIFIED)).to.equal('unspecified');
    expect(taskStateName(42 as TaskState)).to.equal('unspecified');
  });

  it('parses every name it prints back to the same state', () => {
    for (const name of TASK_STATE_NAMES) expect(taskStateName(parseTaskState(name))).to.equal(name);
  });

  it('parses case-insensitively, with or without the enum prefix, and the British spelling', () => {
    expect(parseTaskState('DEAD')).to.equal(TaskState.TASK_STATE_DEAD);
    expect(parseTaskState(' Queued ')).to.equal(TaskState.TASK_STATE_QUEUED);
    expect(parseTaskState('TASK_STATE_RUNNING')).to.equal(TaskState.TASK_STATE_RUNNING);
    expect(parseTaskState('cancelled')).to.equal(TaskState.TASK_STATE_CANCELED);
  });

  it('refuses unknown names and "unspecified", naming the flag and the valid names', () => {
    for (const bad of ['nope', 'unspecified', '', 'TASK_STATE_UNSPECIFIED']) {
      let caught: unknown;
      try {
        parseTaskState(bad, '--state');
      } catch (err: unknown) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(BatonError);
      expect((caught as BatonError).code).to.equal('INVALID_ARGUMENT');
      expect((caught as BatonError).message).to.match(/^--state: unknown task state/);
      expect((caught as BatonError).message).to.contain('scheduled, queued, running, succeeded, dead, canceled');
    }
  });

  it('knows which states are terminal', () => {
    const terminal = Object.values(TaskState)
      .filter((state): state is TaskState => typeof state === 'number')
      .filter(isTerminalState)
      .map(taskStateName);
    expect(terminal).to.deep.equal(['succeeded', 'dead', 'canceled']);
  });
});
