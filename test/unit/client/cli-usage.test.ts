import { expect } from 'chai';
import { runClientCli } from '../../../client/cli/main';
import { fakeIo } from './support/fake-io';

/** Nothing listens here, and none of these command lines should try to connect. */
const NOWHERE = ['--coordinator', '127.0.0.1:1'];

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = fakeIo();
  const code = await runClientCli(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

async function usageError(argv: string[], message: RegExp): Promise<void> {
  const result = await run([...argv, ...NOWHERE]);
  expect(result.stderr).to.match(message);
  expect(result.stderr).to.match(/run 'baton help( \w+)?' for usage/);
  expect(result.stdout).to.equal('');
  expect(result.code).to.equal(2);
}

describe('runClientCli: usage', () => {
  it('prints the general help for help, --help and -h, exit 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const result = await run(argv);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Usage: baton <command>/);
      for (const name of ['submit', 'get', 'wait', 'cancel', 'retry', 'list']) expect(result.stdout).to.contain(`  ${name}`);
      expect(result.stdout).to.contain('--coordinator HOST:PORT');
    }
  });

  it('prints a command help for help CMD, CMD --help and --help CMD', async () => {
    for (const argv of [['help', 'submit'], ['submit', '--help'], ['--help', 'submit'], ['submit', 't', '-h']]) {
      const result = await run(argv);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Usage: baton submit TYPE \[JSON \| @FILE\]/);
      expect(result.stdout).to.contain('--idempotency-key');
    }
  });

  it('lists the schedule and queue groups, and prints their help and their subcommands\' help', async () => {
    const general = await run(['help']);
    expect(general.stdout).to.match(/^ {2}schedule SUBCOMMAND \.\.\. +manage schedules/m);
    expect(general.stdout).to.match(/^ {2}queue SUBCOMMAND \.\.\. +manage queues/m);
    for (const argv of [['help', 'schedule'], ['schedule', '--help'], ['schedule', '-h'], ['--help', 'schedule']]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(0);
      expect(result.stdout).to.match(/^Usage: baton schedule SUBCOMMAND \.\.\.\n/);
      for (const verb of ['create', 'update', 'delete', 'get', 'list', 'pause', 'resume', 'trigger']) expect(result.stdout).to.contain(`\n  schedule ${verb}`);
    }
    for (const argv of [['help', 'schedule', 'create'], ['schedule', 'create', '--help'], ['--help', 'schedule', 'create']]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(0);
      expect(result.stdout).to.match(/^Usage: baton schedule create NAME \(--cron EXPR \| --every DURATION\) \[options\] TYPE \[JSON \| @FILE\]\n/);
      for (const flag of ['--tz ZONE', '--overlap POLICY', '--catch-up POLICY', '--catch-up-limit N', '--start TIME', '--end TIME', '--jitter DURATION', '--queue Q', '--retry-multiplier X', '--content-type TYPE']) {
        expect(result.stdout).to.contain(flag);
      }
    }
    const queueUpdate = await run(['help', 'queue', 'update']);
    expect(queueUpdate.stdout).to.match(/^Usage: baton queue update NAME \[--concurrency N\] \[--rate N\/s\]/);
    expect((await run(['queue', 'list', '--help'])).stdout).to.match(/^Usage: baton queue list\n/);
    expect((await run(['help', 'list'])).stdout).to.contain('--since TIME');
  });

  it('refuses unknown help topics of groups', async () => {
    await usageError(['help', 'schedule', 'frob'], /^error: help: unknown command 'schedule frob'/);
    await usageError(['help', 'get', 'frob'], /^error: help: unknown command 'get frob'/);
  });

  it('prints the help on stderr with exit 2 when no command is given', async () => {
    const result = await run([]);
    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.match(/^Usage: baton/);
  });

  it('refuses unknown commands and help topics', async () => {
    await usageError(['frob'], /^error: unknown command 'frob'/);
    await usageError(['help', 'frob'], /^error: help: unknown command 'frob'/);
  });

  it('refuses unknown options, before or after the command', async () => {
    await usageError(['submit', 't', '--bogus'], /^error: submit: Unknown option '--bogus'/);
    await usageError(['--bogus', 'get', 'x'], /^error: unknown option '--bogus' before the command/);
    await usageError(['get', 'x', '--queue', 'q'], /^error: get: Unknown option '--queue'/);
  });

  it('refuses options without their value', async () => {
    const result = await run(['submit', 't', '--queue']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^error: submit: Option '--queue <value>' argument missing/);
    expect((await run(['--coordinator'])).stderr).to.match(/'--coordinator <host:port>' argument missing/);
  });

  it('requires TYPE for submit and exactly one ID for get, wait, cancel and retry', async () => {
    await usageError(['submit'], /^error: submit: missing TYPE/);
    await usageError(['submit', 't', '{}', 'extra'], /^error: submit: unexpected argument 'extra'/);
    for (const command of ['get', 'wait', 'cancel', 'retry']) {
      await usageError([command], new RegExp(`^error: ${command}: missing ID`));
      await usageError([command, 'a', 'b'], new RegExp(`^error: ${command}: unexpected argument 'b'`));
    }
    await usageError(['list', 'x'], /^error: list: unexpected argument 'x'/);
  });

  it('refuses a payload that is not JSON, quoting it', async () => {
    await usageError(['submit', 't', '{to:1}'], /^error: invalid JSON payload: .*got '\{to:1\}'/);
    await usageError(['submit', 't', '@/no/such/payload.json'], /^error: cannot read the payload file \/no\/such\/payload\.json: ENOENT/);
  });

  it('names the flag of a bad value', async () => {
    await usageError(['submit', 't', '--delay', 'soon'], /^error: --delay: expected a duration/);
    await usageError(['submit', 't', '--timeout', '5x'], /^error: --timeout: expected a duration/);
    await usageError(['submit', 't', '--run-at', 'tomorrow'], /^error: --run-at: expected an ISO 8601 time/);
    await usageError(['submit', 't', '--priority', 'high'], /^error: --priority: expected an integer/);
    await usageError(['submit', 't', '--priority', '1.5'], /^error: --priority: expected an integer/);
    await usageError(['submit', 't', '--priority', '2147483648'], /^error: --priority: expected an integer from -2147483648 to 2147483647/);
    await usageError(['submit', 't', '--max-attempts=-1'], /^error: --max-attempts: expected an integer from 0 to 4294967295/);
    await usageError(['submit', 't', '--label', 'novalue'], /^error: --label: expected key=value/);
    await usageError(['wait', 'x', '--timeout', 'forever'], /^error: --timeout: expected a duration/);
    await usageError(['list', '--state', 'done'], /^error: --state: unknown task state "done"/);
    await usageError(['list', '--limit', '0'], /^error: --limit: expected at least 1/);
  });

  it('refuses --wait-timeout without --wait', async () => {
    // --delay with --run-at is the coordinator's to refuse: see test/integration/cli.test.ts.
    await usageError(['submit', 't', '--wait-timeout', '5s'], /^error: --wait-timeout needs --wait/);
  });

  it('refuses an empty --coordinator', async () => {
    const result = await run(['get', 'x', '--coordinator=']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^error: --coordinator: expected HOST:PORT/);
  });
});
