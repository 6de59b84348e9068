import { expect } from 'chai';
import { parseCommandArgs } from '../../../client/cli/parse-command-args';

const OPTIONS = { priority: { type: 'string' }, every: { type: 'string' }, wait: { type: 'boolean' } } as const;

describe('parseCommandArgs', () => {
  it('takes a negative number or duration after an option as its value, not as an option', () => {
    const { values, positionals } = parseCommandArgs('submit', ['--priority', '-1', 'add', '--every', '-5s'], OPTIONS);
    expect(values).to.deep.include({ priority: '-1', every: '-5s' });
    expect(positionals).to.deep.equal(['add']);
  });

  it('leaves a dash after a boolean option, or after --, to what it is', () => {
    expect(parseCommandArgs('submit', ['--', '--priority', '-1'], OPTIONS).positionals).to.deep.equal(['--priority', '-1']);
    expect(() => parseCommandArgs('submit', ['--wait', '-1'], OPTIONS)).to.throw(/submit: .*'-1'/);
    expect(() => parseCommandArgs('submit', ['--priority', '-x'], OPTIONS)).to.throw(/submit: /);
  });
});
