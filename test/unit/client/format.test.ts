import { expect } from 'chai';
import { formatTaskBlock, formatTaskJsonLine, formatTaskTable, taskToJson } from '../../../client/cli/format';
import { AttemptOutcome, Task, TaskState } from '../../../shared/gen/baton/v1/task';

const base = (partial: Partial<Task> = {}): Task =>
  Task.fromPartial({
    ...{ id: 'id-1', queue: 'default', type: 't', state: TaskState.TASK_STATE_RUNNING, attempt: 1, maxAttempts: 3 },
    ...partial,
  });

describe('CLI formatting', () => {
  it('shows binary content by size and type, text and JSON as text', () => {
    const block = formatTaskBlock(
      base({
        ...{ payload: Buffer.alloc(12), contentType: 'image/png' },
        ...{ result: Buffer.from('hi'), resultContentType: 'text/plain' },
      }),
    );
    expect(block).to.match(/^payload: +<12 bytes of image\/png>$/m);
    expect(block).to.match(/^result: +hi$/m);
  });

  it('leaves out empty fields and zero priority', () => {
    const block = formatTaskBlock(base());
    for (const key of ['payload', 'result', 'last error', 'labels', 'priority', 'finished', 'attempts']) {
      expect(block).to.not.match(new RegExp(`^${key}:`, 'm'));
    }
  });

  it('encodes JSON output: null for empty, base64 for binary, text for broken JSON', () => {
    const json = taskToJson(
      base({
        ...{ payload: Buffer.from('{oops'), contentType: 'application/json' },
        ...{ result: Buffer.from([1, 2]), resultContentType: 'application/octet-stream' },
      }),
    );
    expect(json.payload).to.equal('{oops');
    expect(json.result).to.equal('AQI=');
    expect(taskToJson(base()).payload).to.equal(null);
    expect(taskToJson(base()).contentType).to.equal('application/json');
  });

  it('names states and outcomes in lower case and times in ISO 8601', () => {
    const startedAt = new Date('2030-01-01T00:00:00Z');
    const attempt = {
      ...{ number: 1, workerId: 'w', leaseId: 'l', error: 'gone', startedAt, endedAt: undefined },
      outcome: AttemptOutcome.ATTEMPT_OUTCOME_WORKER_LOST,
    };
    const line = formatTaskJsonLine(base({ state: TaskState.TASK_STATE_DEAD, attempts: [attempt] }));
    expect(line.endsWith('}\n')).to.equal(true);
    const parsed = JSON.parse(line) as ReturnType<typeof taskToJson>;
    expect(parsed.state).to.equal('dead');
    expect(parsed.attempts).to.deep.equal([
      { number: 1, outcome: 'worker_lost', workerId: 'w', startedAt: '2030-01-01T00:00:00.000Z', endedAt: null, error: 'gone' },
    ]);
  });

  it('aligns table columns', () => {
    const table = formatTaskTable([base({ id: 'a', type: 'long-type-name' }), base({ id: 'bbbb', type: 'x' })]);
    const lines = table.trimEnd().split('\n');
    expect(lines).to.have.length(3);
    const stateColumn = (lines[0] ?? '').indexOf('STATE');
    for (const line of lines.slice(1)) expect(line.slice(stateColumn)).to.match(/^running /);
  });
});
