import { InterceptingCall, ServerCredentials, status, type Interceptor } from '@grpc/grpc-js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  describeConnectionSecurity,
  grpcChannelSecurity,
  loadConnectionSecurity,
  type ConnectionSecurity,
  type ConnectionSecurityNames,
  type ConnectionSecurityOptions,
} from '../../../shared/connection-security';
import { ConfigError } from '../../../shared/errors';
import { callEcho, startMetadataEchoServer, type EchoedCall, type MetadataEchoServer } from '../../support/metadata-echo-server';
import { createTestCa, type TestCa } from '../../support/test-ca';

const CLI_NAMES: ConnectionSecurityNames = { tlsCa: '--tls-ca', tlsCert: '--tls-cert', tlsKey: '--tls-key', token: '--token' };

/** The ConfigError that loading `options` throws. */
function loadError(options: ConnectionSecurityOptions, names?: ConnectionSecurityNames): ConfigError {
  try {
    loadConnectionSecurity(options, names);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** One call to `server` through a channel built the way every Baton client builds it. */
function callThrough(server: MetadataEchoServer, security: ConnectionSecurity): Promise<EchoedCall> {
  const channel = grpcChannelSecurity(security);
  return callEcho(server.address, channel.credentials, channel.options);
}

async function expectUnavailable(call: Promise<unknown>): Promise<void> {
  const err: unknown = await call.then(
    () => expect.fail('the call should have failed'),
    (failure: unknown) => failure,
  );
  expect((err as { code?: unknown }).code).to.equal(status.UNAVAILABLE);
}

describe('connection security', () => {
  let ca: TestCa;

  before(async () => {
    ca = await createTestCa({ clientNames: ['worker-1'] });
  });

  after(() => ca.cleanup());

  describe('loadConnectionSecurity: errors name the option', () => {
    it('names an unreadable file as the caller calls it', () => {
      const error = loadError({ tlsCa: '/no/such/ca.pem' });
      expect(error.key).to.equal('tls.ca');
      expect(error.message).to.match(/^tls\.ca: cannot read \/no\/such\/ca\.pem: ENOENT/);
      expect(loadError({ tlsCa: '/no/such/ca.pem' }, CLI_NAMES).message).to.match(/^--tls-ca: cannot read/);
      expect(loadError({ tlsCa: '' }, CLI_NAMES).message).to.equal('--tls-ca: expected a file path, got ""');
      const client = ca.clients['worker-1'];
      expect(loadError({ tlsCert: '/no/cert.pem', tlsKey: client?.key }, CLI_NAMES).key).to.equal('--tls-cert');
      expect(loadError({ tlsCert: client?.cert, tlsKey: '/no/key.pem' }, CLI_NAMES).key).to.equal('--tls-key');
    });

    it('refuses a certificate without its key and a key without its certificate, before reading either', () => {
      const withoutKey = loadError({ tlsCert: '/not/read.pem' }, CLI_NAMES);
      expect(withoutKey.message).to.equal('--tls-key: required with --tls-cert (the private key of the client certificate)');
      const withoutCert = loadError({ tlsKey: '/not/read.key' });
      expect(withoutCert.message).to.equal('tls.cert: required with tls.key (the certificate of the private key)');
    });

    it('refuses files that hold something else, and a key of another certificate', () => {
      const client = ca.clients['worker-1'];
      expect(loadError({ tlsCa: ca.ca.key }).message).to.match(/^tls\.ca: .*ca\.key holds no PEM certificate$/);
      expect(loadError({ tlsCa: Buffer.from('hello') }).message).to.equal('tls.ca: the given bytes holds no PEM certificate');
      expect(loadError({ tlsCert: client?.cert, tlsKey: client?.cert }).message).to.match(/^tls\.key: .* is not an unencrypted PEM private key/);
      expect(loadError({ tlsCert: client?.cert, tlsKey: ca.server.key }, CLI_NAMES).message).to.equal(
        '--tls-key: does not match the certificate of --tls-cert',
      );
    });

    it('refuses an empty token and one with whitespace, control or non-ASCII characters, without quoting it', () => {
      expect(loadError({ token: '' }, CLI_NAMES).message).to.equal('--token: must not be empty');
      const cases: Array<[string, string]> = [
        ['Bearer s3cret', 'character 7 is a space'],
        ['s3cret\n', 'character 7 is the control character U+000A'],
        ['\ts3cret', 'character 1 is the control character U+0009'],
        ['s3crét', 'character 5 is not ASCII'],
      ];
      for (const [token, detail] of cases) {
        const error = loadError({ token });
        expect(error.key).to.equal('token');
        expect(error.message).to.equal(`token: must be visible ASCII without spaces; ${detail}`);
        expect(error.message).not.to.contain('s3cr');
      }
    });

    it('keeps what it read as plain bytes, and describes it for logs without the token', () => {
      const client = ca.clients['worker-1'];
      const security = loadConnectionSecurity({ tlsCa: ca.ca.cert, tlsCert: client?.cert, tlsKey: client?.key, token: 't0ken' });
      expect(Buffer.from(security.tlsCa ?? []).equals(readFileSync(ca.ca.cert))).to.equal(true);
      expect(security.token).to.equal('t0ken');
      expect(describeConnectionSecurity(security)).to.deep.equal({ tls: 'mutual', token: true });
      expect(describeConnectionSecurity(loadConnectionSecurity({ tlsCa: ca.ca.cert }))).to.deep.equal({ tls: 'on', token: false });
      expect(describeConnectionSecurity(loadConnectionSecurity({}))).to.deep.equal({ tls: 'off', token: false });
    });
  });

  describe('the token on a real plaintext channel', () => {
    let server: MetadataEchoServer;

    before(async () => {
      server = await startMetadataEchoServer();
    });

    after(() => server.close());

    it('sends authorization: Bearer TOKEN with every call', async () => {
      const security = loadConnectionSecurity({ token: 's3cret-token' });
      for (let call = 0; call < 2; call += 1) {
        const echoed = await callThrough(server, security);
        expect(echoed.authorization).to.deep.equal(['Bearer s3cret-token']);
      }
    });

    it('sends no authorization without a token', async () => {
      expect((await callThrough(server, loadConnectionSecurity({}))).authorization).to.deep.equal([]);
    });

    it('keeps the caller\'s own interceptors or interceptor providers', async () => {
      const security = loadConnectionSecurity({ token: 'tok' });
      const seen: string[] = [];
      const spy: Interceptor = (options, nextCall) => {
        seen.push(options.method_definition.path);
        return new InterceptingCall(nextCall(options));
      };
      for (const own of [{ interceptors: [spy] }, { interceptor_providers: [() => spy] }]) {
        const channel = grpcChannelSecurity(security, own);
        expect((await callEcho(server.address, channel.credentials, channel.options)).authorization).to.deep.equal(['Bearer tok']);
      }
      expect(seen).to.have.length(2);
    });
  });

  describe('TLS on a real channel', () => {
    let server: MetadataEchoServer;

    before(async () => {
      const identity = { private_key: readFileSync(ca.server.key), cert_chain: readFileSync(ca.server.cert) };
      server = await startMetadataEchoServer(ServerCredentials.createSsl(null, [identity]));
    });

    after(() => server.close());

    it('connects when trusting the CA, and sends the token over it', async () => {
      const echoed = await callThrough(server, loadConnectionSecurity({ tlsCa: ca.ca.cert, token: 'tok' }));
      expect(echoed).to.deep.equal({ authorization: ['Bearer tok'], peerCommonName: null });
    });

    it('takes the CA as bytes too, also after a structured clone (how the keep-alive thread gets it)', async () => {
      const security = structuredClone(loadConnectionSecurity({ tlsCa: readFileSync(ca.ca.cert) }));
      expect(Buffer.isBuffer(security.tlsCa)).to.equal(false);
      expect((await callThrough(server, security)).authorization).to.deep.equal([]);
    });

    it('fails with UNAVAILABLE when trusting another CA', async () => {
      await expectUnavailable(callThrough(server, loadConnectionSecurity({ tlsCa: ca.otherCa.cert })));
    });

    it('fails with UNAVAILABLE when speaking plaintext to it', async () => {
      await expectUnavailable(callThrough(server, loadConnectionSecurity({ token: 'tok' })));
    });
  });

  describe('mutual TLS on a real channel', () => {
    let server: MetadataEchoServer;

    before(async () => {
      const identity = { private_key: readFileSync(ca.server.key), cert_chain: readFileSync(ca.server.cert) };
      server = await startMetadataEchoServer(ServerCredentials.createSsl(readFileSync(ca.ca.cert), [identity], true));
    });

    after(() => server.close());

    it('presents the client certificate', async () => {
      const client = ca.clients['worker-1'];
      const security = loadConnectionSecurity({ tlsCa: ca.ca.cert, tlsCert: client?.cert, tlsKey: client?.key, token: 'tok' });
      expect(await callThrough(server, security)).to.deep.equal({ authorization: ['Bearer tok'], peerCommonName: 'worker-1' });
    });

    it('fails with UNAVAILABLE without a client certificate, or with one from another CA', async () => {
      await expectUnavailable(callThrough(server, loadConnectionSecurity({ tlsCa: ca.ca.cert })));
      const stranger = ca.otherCa.client;
      await expectUnavailable(callThrough(server, loadConnectionSecurity({ tlsCa: ca.ca.cert, tlsCert: stranger.cert, tlsKey: stranger.key })));
    });
  });
});
