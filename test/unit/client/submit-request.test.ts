import { invalidArgument } from '../../support/invalid-argument';
import { expect } from 'chai';
import { toSubmitTaskRequest } from '../../../client/submit-request';


describe('toSubmitTaskRequest', () => {
  it('encodes a value as JSON with defaults for everything else', () => {
    const request = toSubmitTaskRequest('email.send', { to: 'a@b.c' });
    expect(request.type).to.equal('email.send');
    expect(request.contentType).to.equal('application/json');
    expect(JSON.parse(request.payload.toString('utf8'))).to.deep.equal({ to: 'a@b.c' });
    expect(request).to.include({ queue: '', priority: 0, maxAttempts: 0, idempotencyKey: '' });
    expect(request.delay).to.equal(undefined);
    expect(request.runAt).to.equal(undefined);
    expect(request.timeout).to.equal(undefined);
    expect(request.retry).to.equal(undefined);
    expect(request.labels).to.deep.equal({});
  });

  it('sends no payload bytes for undefined, and JSON for falsy values', () => {
    expect(toSubmitTaskRequest('t').payload.length).to.equal(0);
    expect(toSubmitTaskRequest('t', null).payload.toString()).to.equal('null');
    expect(toSubmitTaskRequest('t', 0).payload.toString()).to.equal('0');
    expect(toSubmitTaskRequest('t', '').payload.toString()).to.equal('""');
  });

  it('sends a Buffer as is, as octet-stream unless told otherwise', () => {
    const bytes = Buffer.from([1, 2, 3]);
    const request = toSubmitTaskRequest('t', bytes);
    expect(request.payload).to.equal(bytes);
    expect(request.contentType).to.equal('application/octet-stream');
    expect(toSubmitTaskRequest('t', bytes, { contentType: 'image/png' }).contentType).to.equal('image/png');
  });

  it('sends the viewed bytes of a Uint8Array, not its whole buffer', () => {
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    const request = toSubmitTaskRequest('t', whole.subarray(1, 4));
    expect([...request.payload]).to.deep.equal([1, 2, 3]);
    expect(request.contentType).to.equal('application/octet-stream');
  });

  it('keeps a custom content type for JSON-encoded values', () => {
    expect(toSubmitTaskRequest('t', { a: 1 }, { contentType: 'application/vnd.x+json' }).contentType).to.equal(
      'application/vnd.x+json',
    );
  });

  it('turns duration strings and milliseconds into protobuf Durations', () => {
    const request = toSubmitTaskRequest('t', undefined, {
      delay: '1.5s',
      timeout: 250,
      retry: { initialBackoff: '2s', maxBackoff: '1m', multiplier: 3, jitter: 0.5, maxInfrastructureFailures: 4 },
    });
    expect(request.delay).to.deep.equal({ seconds: 1, nanos: 500_000_000 });
    expect(request.timeout).to.deep.equal({ seconds: 0, nanos: 250_000_000 });
    expect(request.retry).to.deep.equal({
      initialBackoff: { seconds: 2, nanos: 0 },
      multiplier: 3,
      maxBackoff: { seconds: 60, nanos: 0 },
      jitter: 0.5,
      maxInfrastructureFailures: 4,
    });
  });

  it('sends a zero timeout explicitly: no timeout, over any default', () => {
    const request = toSubmitTaskRequest('t', undefined, { timeout: '0s' });
    expect(request.timeout).to.deep.equal({ seconds: 0, nanos: 0 });
    expect(toSubmitTaskRequest('t', undefined, {}).timeout).to.equal(undefined);
  });

  it('passes runAt through as a Date', () => {
    const runAt = new Date('2030-01-01T09:00:00Z');
    expect(toSubmitTaskRequest('t', undefined, { runAt }).runAt).to.equal(runAt);
  });

  it('names the option that cannot be put on the wire at all', () => {
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { delay: 'soon' })).message).to.match(/^delay:/);
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { timeout: Number.NaN })).message).to.match(
      /^timeout:/,
    );
    expect(
      invalidArgument(() => toSubmitTaskRequest('t', undefined, { retry: { initialBackoff: 'x' } })).message,
    ).to.match(/^retry\.initialBackoff:/);
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { runAt: new Date('nope') })).message).to.match(
      /^runAt:/,
    );
    // priority is an int32 and max_attempts a uint32 on the wire: other numbers cannot be encoded.
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { priority: 1.5 })).message).to.match(/^priority:/);
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { priority: 2 ** 31 })).message).to.match(
      /^priority:.*int32/,
    );
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { maxAttempts: -1 })).message).to.match(
      /^maxAttempts:.*uint32/,
    );
  });

  it("leaves the coordinator's rules to the coordinator: names, limits, ranges, delay with runAt", () => {
    // Each of these is encodable, so it is sent; test/integration shows the coordinator's answer.
    const request = toSubmitTaskRequest('', undefined, {
      queue: 'has spaces',
      delay: '1s',
      runAt: new Date('2030-01-01T00:00:00Z'),
      timeout: -1500,
      maxAttempts: 5000,
      retry: { multiplier: 0.5, jitter: 2 },
      labels: { '': 'x' },
    });
    expect(request).to.include({ type: '', queue: 'has spaces', maxAttempts: 5000 });
    expect(request.delay).to.deep.equal({ seconds: 1, nanos: 0 });
    expect(request.runAt).to.be.instanceOf(Date);
    expect(request.timeout).to.deep.equal({ seconds: -1, nanos: -500_000_000 });
    expect(request.retry).to.deep.include({ multiplier: 0.5, jitter: 2 });
    expect(request.labels).to.deep.equal({ '': 'x' });
  });

  it('sends multiplier and jitter only when set, 0 included', () => {
    expect(toSubmitTaskRequest('t', undefined, { retry: {} }).retry).to.deep.include({
      multiplier: undefined,
      jitter: undefined,
    });
    expect(toSubmitTaskRequest('t', undefined, { retry: { jitter: 0 } }).retry?.jitter).to.equal(0);
  });

  it('copies labels and trace context, refusing non-string values', () => {
    const labels = { team: 'mail', tier: 'gold' };
    const request = toSubmitTaskRequest('t', undefined, { labels, traceContext: { traceparent: '00-abc-def-01' } });
    expect(request.labels).to.deep.equal(labels);
    expect(request.labels).to.not.equal(labels);
    expect(request.traceContext).to.deep.equal({ traceparent: '00-abc-def-01' });
    const numeric = { n: 1 } as unknown as Record<string, string>;
    expect(invalidArgument(() => toSubmitTaskRequest('t', undefined, { labels: numeric })).message).to.match(
      /^labels\.n:/,
    );
  });

  it('refuses payloads JSON cannot encode, naming the payload', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(invalidArgument(() => toSubmitTaskRequest('t', circular)).message).to.match(/^payload:/);
    expect(invalidArgument(() => toSubmitTaskRequest('t', 10n)).message).to.match(/^payload:/);
    expect(invalidArgument(() => toSubmitTaskRequest('t', () => 1)).message).to.match(/^payload:/);
  });
});
