import { refusalOf } from '../../support/invalid-argument';
import { expect } from 'chai';
import { ENUMS, MESSAGES } from '../../../shared/gen/http/api-schema';
import { SubmitTaskRequest } from '../../../shared/gen/baton/v1/task_queue';
import { GetStatsResponse } from '../../../shared/gen/baton/v1/stats';
import { Task } from '../../../shared/gen/baton/v1/task';
import { durationText, ProtoJson } from '../../../coordinator/http/proto-json';
import { stringifyJson } from '../../../coordinator/http/json-text';

const json = new ProtoJson({ messages: MESSAGES, enums: ENUMS });

const refusal = refusalOf;

describe('ProtoJson: proto3 JSON over the generated codecs', () => {
  it('reads canonical JSON (either field name, durations, times, 64-bit strings, enum names) into what fromJSON takes', () => {
    const decoded = SubmitTaskRequest.fromJSON(
      json.decode('baton.v1.SubmitTaskRequest', {
        type: 'add',
        max_attempts: 5,
        delay: '1.250s',
        retry: { initialBackoff: '0.5s', multiplier: '2' },
        labels: { team: 'web' },
        payload: { a: 2, b: 3 },
      }),
    );
    expect(decoded.type).to.equal('add');
    expect(decoded.maxAttempts).to.equal(5);
    expect(decoded.delay).to.deep.equal({ seconds: 1, nanos: 250_000_000 });
    expect(decoded.retry?.initialBackoff).to.deep.equal({ seconds: 0, nanos: 500_000_000 });
    expect(decoded.retry?.multiplier).to.equal(2);
    expect(decoded.labels).to.deep.equal({ team: 'web' });
    expect(JSON.parse(decoded.payload.toString('utf8'))).to.deep.equal({ a: 2, b: 3 });
  });

  it('keeps a payload of another content type as base64, and a JSON string payload as the JSON string', () => {
    const binary = SubmitTaskRequest.fromJSON(json.decode('baton.v1.SubmitTaskRequest', { type: 't', contentType: 'image/png', payload: 'AAEC' }));
    expect([...binary.payload]).to.deep.equal([0, 1, 2]);
    const text = SubmitTaskRequest.fromJSON(json.decode('baton.v1.SubmitTaskRequest', { type: 't', payload: 'AAEC' }));
    expect(text.payload.toString('utf8')).to.equal('"AAEC"');
  });

  it('refuses, naming the field by its path: unknown fields, wrong types, bad enums, out-of-range integers', () => {
    const decode = (value: unknown) => () => json.decode('baton.v1.SubmitTaskRequest', value);
    expect(refusal(decode({ type: 'a', typ: 'b' }))).to.match(/^typ: unknown field; SubmitTaskRequest has fields queue, type/);
    expect(refusal(decode({ type: 'a', type_: 'b' }))).to.match(/^type_: unknown field/);
    expect(refusal(decode({ type: 'a', retry: { jitter: 'lots' } }))).to.equal('retry.jitter: expected a number, got string "lots"');
    expect(refusal(decode({ type: 'a', priority: 2 ** 31 }))).to.equal('priority: 2147483648 is out of range for int32');
    expect(refusal(decode({ type: 'a', maxAttempts: -1 }))).to.equal('maxAttempts: -1 is out of range for uint32');
    expect(refusal(decode({ type: 'a', delay: '5m' }))).to.match(/^delay: expected a duration in seconds/);
    expect(refusal(decode({ type: 'a', runAt: '2026-13-45' }))).to.match(/^runAt: expected an RFC 3339 time/);
    expect(refusal(decode({ type: 'a', labels: ['x'] }))).to.equal('labels: expected a JSON object (a map), got an array');
    expect(refusal(decode({ type: 'a', contentType: 'image/png', payload: 'not base64!' }))).to.match(/^payload: expected base64/);
    expect(refusal(decode({ type: 'a', max_attempts: 1, maxAttempts: 2 }))).to.equal('maxAttempts: set twice (as max_attempts and maxAttempts)');
    expect(refusal(decode('add'))).to.match(/^body: expected a JSON object/);
    expect(refusal(() => json.decode('baton.v1.ListTasksRequest', { state: 'DONE' }))).to.match(/^state: "DONE" is not one of TASK_STATE_UNSPECIFIED/);
    expect(refusal(() => json.decode('baton.v1.GetStatsResponse', { queues: [{ queued: '1.5e0' }] }))).to.equal('queues[0].queued: expected an integer, got string "1.5e0"');
    expect(json.decode('baton.v1.GetStatsResponse', { queues: [{ queued: '1e3' }] })).to.deep.equal({ queues: [{ queued: 1000 }] });
    expect(refusal(decode({ type: 'a', retry: { jitter: ' 0x10 ' } }))).to.equal('retry.jitter: expected a number, got string " 0x10 "');
    expect(refusal(decode({ type: 'a', runAt: '2026-02-30T00:00:00Z' }))).to.match(/^runAt: expected an RFC 3339 time/);
    expect(refusal(decode({ type: 'a', runAt: '2026-12-01T24:00:00Z' }))).to.match(/^runAt: expected an RFC 3339 time/);
  });

  it('reads null as the default, as proto3 JSON says, except in a JSON payload, where it is the value null', () => {
    expect(json.decode('baton.v1.SubmitTaskRequest', { type: 'a', delay: null })).to.deep.equal({ type: 'a' });
    expect(json.decode('baton.v1.SubmitTaskRequest', { type: 'a', payload: null })).to.deep.equal({ type: 'a', payload: Buffer.from('null').toString('base64') });
    expect(refusal(() => json.decode('baton.v1.SubmitTaskRequest', { type: 'a', labels: JSON.parse('{"__proto__": "x"}') as unknown }))).to.equal('labels["__proto__"]: not allowed as a key');
  });

  it('writes canonical JSON: durations as "1.5s", 64-bit integers as strings, JSON payloads and results as values', () => {
    const stats = json.encode('baton.v1.GetStatsResponse', GetStatsResponse.toJSON({
      queues: [{ queue: 'q', scheduled: 0, queued: 3, running: 1, succeeded: 9, dead: 0, canceled: 0, submittedPerSecond: 0.5, completedPerSecond: 0.25, deadPerSecond: 0, oldestReadyAge: { seconds: 2, nanos: 500_000_000 }, completedHistory: [1, 2], deadHistory: [0, 1], historyBucketSeconds: 10, paused: false }],
      workers: [],
      takenAt: new Date('2026-12-01T10:00:00.000Z'),
      omittedQueues: 0,
    }));
    expect(stats).to.deep.equal({
      queues: [{ queue: 'q', queued: '3', running: '1', succeeded: '9', submittedPerSecond: 0.5, completedPerSecond: 0.25, oldestReadyAge: '2.500s', completedHistory: [1, 2], deadHistory: [0, 1], historyBucketSeconds: 10 }],
      takenAt: '2026-12-01T10:00:00.000Z',
    });
    const task = Task.fromPartial({ id: 'x', payload: Buffer.from('{"a":1}'), contentType: 'application/json', result: Buffer.from([0xff, 0x00]), resultContentType: 'application/octet-stream' });
    const encoded = json.encode('baton.v1.Task', Task.toJSON(task)) as Record<string, unknown>;
    expect(JSON.parse(stringifyJson(encoded))).to.deep.include({ payload: { a: 1 }, result: '/wA=' });
    // The stored text itself, not a re-serialisation; bytes that are not JSON stay base64.
    const exact = Task.fromPartial({ id: 'x', payload: Buffer.from('{"n": 12345678901234567890}'), contentType: 'application/json', result: Buffer.from('{"a":'), resultContentType: '' });
    expect(stringifyJson(json.encode('baton.v1.Task', Task.toJSON(exact)))).to.equal(`{"id":"x","payload":{"n": 12345678901234567890},"contentType":"application/json","result":"${Buffer.from('{"a":').toString('base64')}"}`);
  });

  it('writes durations with 0, 3, 6 or 9 fractional digits', () => {
    expect(durationText(3, 0)).to.equal('3s');
    expect(durationText(1, 500_000_000)).to.equal('1.500s');
    expect(durationText(0, 1_000)).to.equal('0.000001s');
    expect(durationText(0, 1)).to.equal('0.000000001s');
    expect(durationText(-1, -500_000_000)).to.equal('-1.500s');
  });
});
