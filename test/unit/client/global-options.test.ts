import { expect } from 'chai';
import { resolveGlobalSettings, splitCommandLine } from '../../../client/cli/global-options';
import { UsageError } from '../../../client/cli/usage-error';

describe('CLI global options', () => {
  describe('splitCommandLine', () => {
    it('reads the TLS and token options before the command, as --flag value or --flag=value', () => {
      const split = splitCommandLine(['--tls-ca', 'ca.pem', '--tls-cert=c.pem', '--tls-key', 'c.key', '--token=t0k', '--json', 'get', 'ID', '--token', 'x']);
      expect(split.leading).to.deep.equal({ json: true, help: false, 'tls-ca': 'ca.pem', 'tls-cert': 'c.pem', 'tls-key': 'c.key', token: 't0k' });
      expect(split.command).to.equal('get');
      expect(split.rest).to.deep.equal(['ID', '--token', 'x']);
    });

    it('keeps a value that contains =, and an empty one for the checks to refuse', () => {
      expect(splitCommandLine(['--token=a=b', 'list']).leading.token).to.equal('a=b');
      expect(splitCommandLine(['--tls-ca=', 'list']).leading['tls-ca']).to.equal('');
    });

    it('refuses a missing value, naming what it should be', () => {
      expect(() => splitCommandLine(['--tls-ca'])).to.throw(UsageError, "option '--tls-ca <file>' argument missing");
      expect(() => splitCommandLine(['--token', '--json', 'get'])).to.throw(UsageError, "option '--token <token>' argument missing");
      expect(() => splitCommandLine(['--coordinator'])).to.throw(UsageError, "option '--coordinator <host:port>' argument missing");
    });

    it('refuses unknown options, and boolean ones given a value', () => {
      expect(() => splitCommandLine(['--tls', 'get'])).to.throw(UsageError, "unknown option '--tls' before the command");
      expect(() => splitCommandLine(['--json=yes', 'get'])).to.throw(UsageError, "unknown option '--json=yes' before the command");
      expect(() => splitCommandLine(['-t', 'x', 'get'])).to.throw(UsageError, "unknown option '-t' before the command");
    });
  });

  describe('resolveGlobalSettings', () => {
    const ENV = { BATON_TLS_CA: 'env-ca.pem', BATON_TLS_CERT: 'env.pem', BATON_TLS_KEY: 'env.key', BATON_TOKEN: 'env-token' };

    it('falls back to BATON_TLS_* and BATON_TOKEN, naming the variable', () => {
      const { connection } = resolveGlobalSettings({}, {}, ENV);
      expect(connection.options).to.deep.equal({ tlsCa: 'env-ca.pem', tlsCert: 'env.pem', tlsKey: 'env.key', token: 'env-token' });
      expect(connection.names).to.deep.equal({ tlsCa: 'BATON_TLS_CA', tlsCert: 'BATON_TLS_CERT', tlsKey: 'BATON_TLS_KEY', token: 'BATON_TOKEN' });
    });

    it('lets a flag win over its variable, and a flag after the command over one before it', () => {
      const { connection } = resolveGlobalSettings({ 'tls-ca': 'before.pem', token: 'before' }, { token: 'after' }, ENV);
      expect(connection.options).to.deep.equal({ tlsCa: 'before.pem', tlsCert: 'env.pem', tlsKey: 'env.key', token: 'after' });
      expect(connection.names).to.include({ tlsCa: '--tls-ca', tlsCert: 'BATON_TLS_CERT', token: '--token' });
    });

    it('treats an empty variable as unset, but keeps an empty flag', () => {
      const { connection } = resolveGlobalSettings({}, { token: '' }, { BATON_TLS_CA: '', BATON_TOKEN: 'env-token' });
      expect(connection.options).to.deep.equal({ tlsCa: undefined, tlsCert: undefined, tlsKey: undefined, token: '' });
      expect(connection.names.token).to.equal('--token');
    });

    it('leaves everything unset with no flags and no variables', () => {
      const settings = resolveGlobalSettings({}, {}, {});
      expect(settings.connection.options).to.deep.equal({ tlsCa: undefined, tlsCert: undefined, tlsKey: undefined, token: undefined });
      expect(settings.address).to.equal('127.0.0.1:7070');
    });
  });
});
