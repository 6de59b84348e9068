import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { runClientCli } from '../../../client/cli/main';
import { Task } from '../../../shared/gen/baton/v1/task';
import { TaskQueueService, type GetTaskRequest, type GetTaskResponse } from '../../../shared/gen/baton/v1/task_queue';
import { createTestCa, type TestCa } from '../../support/test-ca';
import { fakeIo } from './support/fake-io';

/**
 * A coordinator stand-in that requires mutual TLS with the test CA and answers GetTask with a
 * task whose labels record the `authorization` metadata and client certificate it saw.
 */
async function startRecordingTaskQueue(ca: TestCa): Promise<{ address: string; close: () => void }> {
  const server = new Server();
  server.addService(TaskQueueService, {
    getTask(call: ServerUnaryCall<GetTaskRequest, GetTaskResponse>, callback: sendUnaryData<GetTaskResponse>) {
      const commonName = call.getAuthContext().sslPeerCertificate?.subject?.CN;
      const labels = { authorization: call.metadata.get('authorization').map(String).join(','), peer: String(commonName) };
      callback(null, { task: Task.fromPartial({ id: call.request.id, labels }) });
    },
  });
  const identity = { private_key: readFileSync(ca.server.key), cert_chain: readFileSync(ca.server.cert) };
  const credentials = ServerCredentials.createSsl(readFileSync(ca.ca.cert), [identity], true);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = fakeIo(env);
  const code = await runClientCli(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('runClientCli: TLS and token', () => {
  let ca: TestCa;
  let coordinator: { address: string; close: () => void };

  before(async () => {
    ca = await createTestCa({ clientNames: ['cli'] });
    coordinator = await startRecordingTaskQueue(ca);
  });

  after(() => {
    coordinator?.close();
    ca?.cleanup();
  });

  function tlsFlags(): string[] {
    const client = ca.clients.cli;
    return ['--tls-ca', ca.ca.cert, '--tls-cert', client?.cert ?? '', '--tls-key', client?.key ?? ''];
  }

  it('connects with mutual TLS and sends the token, from flags after the command', async () => {
    const result = await run(['get', 'T1', '--json', '--coordinator', coordinator.address, ...tlsFlags(), '--token', 's3cret']);
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const task = JSON.parse(result.stdout) as { id: string; labels: Record<string, string> };
    expect(task.id).to.equal('T1');
    expect(task.labels).to.deep.equal({ authorization: 'Bearer s3cret', peer: 'cli' });
  });

  it('takes the same options before the command, and from BATON_TLS_* and BATON_TOKEN', async () => {
    const before = await run(['--coordinator', coordinator.address, ...tlsFlags(), '--token=one', '--json', 'get', 'T2']);
    expect(JSON.parse(before.stdout)).to.deep.include({ labels: { authorization: 'Bearer one', peer: 'cli' } });
    const client = ca.clients.cli;
    const env = { BATON_COORDINATOR: coordinator.address, BATON_TLS_CA: ca.ca.cert, BATON_TLS_CERT: client?.cert ?? '', BATON_TLS_KEY: client?.key ?? '', BATON_TOKEN: 'two' };
    const fromEnv = await run(['get', 'T3', '--json'], env);
    expect(JSON.parse(fromEnv.stdout)).to.deep.include({ labels: { authorization: 'Bearer two', peer: 'cli' } });
    const flagWins = await run(['get', 'T4', '--json', '--token', 'three'], env);
    expect(JSON.parse(flagWins.stdout)).to.deep.include({ labels: { authorization: 'Bearer three', peer: 'cli' } });
  });

  it('fails with exit 1 when the coordinator refuses the handshake', async () => {
    const stranger = ca.otherCa.client;
    const result = await run(['get', 'T5', '--coordinator', coordinator.address, '--tls-ca', ca.ca.cert, '--tls-cert', stranger.cert, '--tls-key', stranger.key]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^error: UNAVAILABLE: /);
  });

  it('refuses bad options with exit 2 before connecting, naming the flag or variable', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--tls-ca', '/no/such/ca.pem'], {}, /^error: --tls-ca: cannot read \/no\/such\/ca\.pem: ENOENT/],
      [[], { BATON_TLS_CA: '/no/such/ca.pem' }, /^error: BATON_TLS_CA: cannot read \/no\/such\/ca\.pem/],
      [['--tls-cert', ca.ca.cert], {}, /^error: --tls-key: required with --tls-cert/],
      [['--tls-key', ca.ca.key], { BATON_TLS_CA: ca.ca.cert }, /^error: --tls-cert: required with --tls-key/],
      [['--token='], {}, /^error: --token: must not be empty/],
      [[], { BATON_TOKEN: 'with space' }, /^error: BATON_TOKEN: must be visible ASCII without spaces; character 5 is a space/],
    ];
    for (const [flags, env, message] of cases) {
      const result = await run(['get', 'T6', '--coordinator', '127.0.0.1:1', ...flags], env);
      expect(result.stderr).to.match(message);
      expect(result.stderr).not.to.contain('with space');
      expect(result.stderr).to.contain("run 'baton help' for usage");
      expect(result.code).to.equal(2);
    }
  });

  it('lists the options and their variables in the help', async () => {
    const help = await run(['help']);
    for (const text of ['--tls-ca FILE', '--tls-cert FILE', '--tls-key FILE', '--token TOKEN', '$BATON_TLS_CA', '$BATON_TOKEN']) {
      expect(help.stdout).to.contain(text);
    }
    expect((await run(['get', '--help'])).stdout).to.contain('--tls-ca FILE');
  });
});
