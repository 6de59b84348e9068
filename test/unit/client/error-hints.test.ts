import { expect } from 'chai';
import { hintFor } from '../../../client/cli/error-hints';

describe('CLI error hints', () => {
  it('say which flag to change for credential and TLS failures, and nothing otherwise', () => {
    expect(hintFor('UNAUTHENTICATED: invalid token')).to.equal('pass --token TOKEN or set BATON_TOKEN');
    expect(hintFor('UNAVAILABLE: coordinator at localhost:7070 is unavailable: tlsv13 alert certificate required')).to.match(/--tls-cert and --tls-key/);
    expect(hintFor('UNAVAILABLE: ... self-signed certificate in certificate chain')).to.match(/--tls-ca/);
    expect(hintFor('UNAVAILABLE: ... ssl3_get_record:wrong version number')).to.match(/does not speak TLS/);
    expect(hintFor('NOT_FOUND: task 0123 not found')).to.equal(undefined);
  });
});
