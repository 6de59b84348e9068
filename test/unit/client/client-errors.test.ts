import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { toClientError } from '../../../client/client-errors';

function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: undefined });
}

describe('toClientError', () => {
  it('keeps the server\'s code and message', () => {
    const err = toClientError(grpcError(status.NOT_FOUND, 'task x not found'), '127.0.0.1:7070');
    expect(err).to.include({ code: 'NOT_FOUND', message: 'task x not found' });
  });

  it('names the address when nothing answers', () => {
    const err = toClientError(grpcError(status.UNAVAILABLE, 'connect ECONNREFUSED 127.0.0.1:7070 Resolution note: '), '127.0.0.1:7070');
    expect(err.code).to.equal('UNAVAILABLE');
    expect(err.message).to.equal('coordinator at 127.0.0.1:7070 is unavailable: connect ECONNREFUSED 127.0.0.1:7070');
  });

  it('treats a connection the server tore down as UNAVAILABLE, so that callers retry', () => {
    const dropped = 'Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2';
    const err = toClientError(grpcError(status.INTERNAL, dropped), 'h:1');
    expect(err.code).to.equal('UNAVAILABLE');
    expect(err.message).to.match(/^coordinator at h:1 dropped the connection/);
    expect(toClientError(grpcError(status.INTERNAL, 'internal error'), 'h:1').code).to.equal('INTERNAL');
  });

  it('maps codes Baton never sends instead of calling them unavailable', () => {
    expect(toClientError(grpcError(status.UNIMPLEMENTED, 'unknown service'), 'h:1').code).to.equal('UNIMPLEMENTED');
  });
});
