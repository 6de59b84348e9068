import { expect } from 'chai';
import { exposureWarning } from '../../../coordinator/security/exposure';
import { isLoopbackHost } from '../../../shared/loopback';

describe('exposure warning', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) expect(isLoopbackHost(host), host).to.equal(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '[::]', 'example.com']) expect(isLoopbackHost(host), host).to.equal(false);
  });

  it('warns beyond loopback unless both TLS and tokens are on', () => {
    const exposed = { listen: '0.0.0.0:7070', http: '127.0.0.1:7071' };
    expect(exposureWarning(exposed, false, false)).to.match(/^INSECURE: listening on 0\.0\.0\.0:7070, beyond loopback, without TLS \(--tls-cert, --tls-key\) or tokens \(--tokens\)/);
    expect(exposureWarning(exposed, true, false)).to.match(/without tokens \(--tokens\)\. Anyone who can reach the gRPC port/);
    expect(exposureWarning(exposed, false, true)).to.match(/without TLS \(--tls-cert, --tls-key\)\. Tokens and payloads cross the network in plaintext/);
    expect(exposureWarning({ listen: '127.0.0.1:7070', http: '0.0.0.0:7071' }, false, false)).to.match(/Anyone who can reach the HTTP port can use the HTTP\/JSON API and the dashboard/);
    expect(exposureWarning(exposed, true, true)).to.equal(undefined);
    expect(exposureWarning({ listen: '127.0.0.1:7070', http: undefined }, false, false)).to.equal(undefined);
  });
});
