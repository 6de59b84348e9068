import { expect } from 'chai';
import { ROUTES } from '../../../shared/gen/http/api-schema';
import { colonSuggestion, RouteTable } from '../../../coordinator/http/route-table';

const table = new RouteTable(ROUTES);

function found(verb: string, path: string): { rpc: string; bindings: Record<string, string> } {
  const lookup = table.lookup(verb, path);
  if (lookup.kind !== 'found') throw new Error(`${verb} ${path}: ${lookup.kind}`);
  return { rpc: lookup.match.route.rpc, bindings: Object.fromEntries(lookup.match.bindings) };
}

describe('RouteTable: the google.api.http routes of the .proto', () => {
  it('matches literal paths, variables and custom verbs', () => {
    expect(found('POST', '/v1/tasks').rpc).to.equal('SubmitTask');
    expect(found('POST', '/v1/tasks:batch').rpc).to.equal('SubmitTasks');
    expect(found('GET', '/v1/tasks/abc')).to.deep.equal({ rpc: 'GetTask', bindings: { id: 'abc' } });
    expect(found('POST', '/v1/tasks/abc:cancel')).to.deep.equal({ rpc: 'CancelTask', bindings: { id: 'abc' } });
    expect(found('GET', '/v1/tasks/abc:watch').rpc).to.equal('WatchTask');
    expect(found('PUT', '/v1/schedules/nightly')).to.deep.equal({ rpc: 'UpdateSchedule', bindings: { 'spec.name': 'nightly' } });
    expect(found('GET', '/v1/stats:watch').rpc).to.equal('WatchStats');
    expect(found('HEAD', '/v1/stats').rpc).to.equal('GetStats');
  });

  it('decodes percent-escapes in a variable, a colon included', () => {
    expect(found('GET', '/v1/queues/mail%3Aeu').bindings).to.deep.equal({ name: 'mail:eu' });
  });

  it('tells a wrong method (with the ones the path takes) from an unknown path', () => {
    expect(table.lookup('DELETE', '/v1/tasks')).to.deep.equal({ kind: 'wrong-method', allowed: ['POST', 'GET'] });
    expect(table.lookup('GET', '/v1/tasks/abc:explode')).to.deep.equal({ kind: 'unknown' });
    expect(table.lookup('GET', '/v1/tasks/abc/more')).to.deep.equal({ kind: 'unknown' });
    expect(table.lookup('GET', '/v1/tasks/')).to.deep.equal({ kind: 'unknown' });
    expect(table.lookup('GET', '/v1/tasks/%E0%A4%A')).to.deep.equal({ kind: 'unknown' });
  });

  it('suggests the custom verb a REST-style path meant', () => {
    expect(colonSuggestion(table, 'POST', '/v1/tasks/abc/cancel')).to.equal('POST /v1/tasks/abc:cancel');
    expect(colonSuggestion(table, 'GET', '/v1/tasks/abc/cancel')).to.equal('POST /v1/tasks/abc:cancel');
    expect(colonSuggestion(table, 'GET', '/v1/tasks/abc/explode')).to.equal(undefined);
    expect(colonSuggestion(table, 'GET', '/v1/jobs')).to.equal(undefined);
  });

  it('refuses templates it cannot serve', () => {
    expect(() => new RouteTable([{ ...ROUTES[0]!, path: '/v1/{name=projects/*}' }])).to.throw(/only whole-segment/);
  });
});
