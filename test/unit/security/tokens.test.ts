import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { Authenticator, requireQueue, requireRole } from '../../../coordinator/security/authenticator';
import { ConfigError } from '../../../shared/errors';
import { TokenRegistry } from '../../../coordinator/security/token-registry';
import { parseTokensFile } from '../../../coordinator/security/tokens-file';

const CLIENT = 'client-token-0123456789';
const WORKER = 'worker-token-0123456789';

describe('tokens file', () => {
  it('reads ROLE TOKEN [QUEUES] lines with comments, and JSON with names and sha256 hashes', () => {
    const lines = parseTokensFile(`# who may do what\nclient ${CLIENT} mail,billing\n\nworker ${WORKER}   # every queue\n  # indented comment\n`, 'tokens.txt');
    expect(lines.map((g) => [g.role, g.queues && [...g.queues]])).to.deep.equal([['client', ['mail', 'billing']], ['worker', null]]);
    const hash = createHash('sha256').update(CLIENT).digest('hex');
    const json = parseTokensFile(JSON.stringify({ tokens: [{ name: 'billing', role: 'admin', sha256: hash }] }), 'tokens.json');
    expect(json[0]!.name).to.equal('billing');
    expect(TokenRegistry.of(json).verify(CLIENT)?.role).to.equal('admin');
  });

  it('names the file, the line and what is wrong, never the token', () => {
    const bad = (text: string): string => {
      try {
        parseTokensFile(text, 't');
      } catch (err: unknown) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(bad('superuser abcdefghijklmnop')).to.equal('t:1: the role (the first word of a line) must be one of client, worker, admin');
    expect(bad(`${CLIENT} client`)).not.to.include(CLIENT);
    expect(bad(`client ${CLIENT} mail,${WORKER}+x`)).to.equal('t:1: queue 2 of the list is not a queue name (letters, digits and _ . : / -)');
    expect(bad('client short')).to.equal('t:1: a token must be at least 16 characters');
    expect(bad(`client ${CLIENT}\nworker ${CLIENT}`)).to.equal('t:2: repeats the token of t:1');
    expect(bad('# nothing')).to.equal('t: holds no tokens');
    expect(bad('{"tokens": [{"role": "client"}]}')).to.equal('t: tokens[0]: set exactly one of token and sha256');
    expect(bad(`client ${CLIENT} a,b extra`)).to.match(/expected ROLE TOKEN/);
    expect(bad(`client 0123456789abcdef#0123 billing`)).to.equal('t:1: a token must be printable ASCII without spaces or #');
    expect(bad(JSON.stringify({ tokens: [{ name: 'a', role: 'client', token: CLIENT }, { name: 'a', role: 'worker', token: WORKER }] }))).to.equal('t: the name a is used twice');
    const broken = `{"tokens": [{"role": "client", "token": "${CLIENT}" oops}]}`;
    expect(bad(broken)).to.match(/^t: not valid JSON at line 1, column \d+$/);
    for (const message of [bad('client short'), bad(`client ${CLIENT}\nworker ${CLIENT}`), bad(broken)]) expect(message).not.to.include(CLIENT);
  });
});

describe('TokenRegistry.fromFile', () => {
  it('never shows a value that is not a path, such as the tokens themselves', () => {
    const inline = JSON.stringify({ tokens: [{ role: 'admin', token: CLIENT }] });
    expect(() => TokenRegistry.fromFile(inline)).to.throw(ConfigError, /^tokens: cannot read the tokens file the value given, which does not look like a file path/);
    try {
      TokenRegistry.fromFile(inline);
    } catch (err: unknown) {
      expect((err as Error).message).not.to.include(CLIENT);
    }
    expect(() => TokenRegistry.fromFile('/no/such/tokens')).to.throw('tokens: cannot read the tokens file /no/such/tokens: ENOENT');
  });
});

describe('Authenticator', () => {
  const tokens = TokenRegistry.of(parseTokensFile(`client ${CLIENT} mail\nworker ${WORKER}`, 'tokens'));

  it('needs a valid bearer token once tokens are configured', () => {
    const auth = new Authenticator(tokens);
    const who = (authorization: string[]): string => {
      try {
        const principal = auth.authenticate({ authorization, certificate: undefined });
        return `${principal.id} ${principal.role}`;
      } catch (err: unknown) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(who([])).to.equal('UNAUTHENTICATED: missing credentials: send "authorization: Bearer TOKEN" (gRPC metadata or HTTP header)');
    expect(who(['Basic abc'])).to.equal('UNAUTHENTICATED: malformed authorization: expected exactly one "Bearer TOKEN"');
    expect(who([`Bearer ${CLIENT}`, `Bearer ${CLIENT}`])).to.match(/^UNAUTHENTICATED: malformed/);
    expect(who(['Bearer wrong-token-0123456789'])).to.equal('UNAUTHENTICATED: invalid token');
    expect(who([`bearer ${WORKER}`])).to.match(/^token:\w+ worker$/);
  });

  it('takes the identity from a client certificate, and the role from the token when there is one', () => {
    const certificate = { subject: { CN: 'worker-7' }, fingerprint256: 'AA' } as unknown as PeerCertificate;
    expect(new Authenticator(undefined).authenticate({ authorization: [], certificate })).to.deep.equal({ id: 'cert:worker-7', role: 'admin', queues: null });
    expect(new Authenticator(undefined).authenticate({ authorization: [], certificate: undefined }).id).to.equal('anonymous');
    expect(new Authenticator(tokens).authenticate({ authorization: [`Bearer ${WORKER}`], certificate })).to.include({ id: 'cert:worker-7', role: 'worker' });
  });

  it('checks roles (admin passes every check) and queues', () => {
    const client = new Authenticator(tokens).authenticate({ authorization: [`Bearer ${CLIENT}`], certificate: undefined });
    expect(() => requireRole(client, ['worker'], 'Connect')).to.throw('Connect needs the worker role; this credential has the client role');
    requireRole({ id: 'x', role: 'admin', queues: null }, ['worker'], 'Connect');
    requireQueue(client, 'mail', 'SubmitTask');
    expect(() => requireQueue(client, 'billing', 'SubmitTask')).to.throw("SubmitTask: queue billing is not among this credential's queues (mail)");
  });

  it('swaps tokens on reload', () => {
    const auth = new Authenticator(tokens);
    auth.replaceTokens(TokenRegistry.of(parseTokensFile(`admin ${WORKER}`, 'tokens')));
    expect(() => auth.authenticate({ authorization: [`Bearer ${CLIENT}`], certificate: undefined })).to.throw('invalid token');
    expect(auth.authenticate({ authorization: [`Bearer ${WORKER}`], certificate: undefined }).role).to.equal('admin');
  });
});
