import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { TaskState, type BatonClient } from '../../client/index';
import { apiError, HttpApi, type ApiReply, type SseEvent } from '../support/http-api';
import { startCoordinator, startWorker, type CoordinatorHandle } from '../support/processes';
import { useTestProcesses } from '../support/test-processes';
import { pollUntil } from '../support/poll';

/** The worker serves this queue; tasks elsewhere stay QUEUED. */
const RUN_QUEUE = 'http-run';
const MAX_PAYLOAD_BYTES = 4096;
const TRACE_URL = 'http://tracing.example:16686/trace/{trace_id}';

interface TaskJson {
  readonly id: string;
  readonly queue: string;
  readonly type: string;
  readonly state: string;
  readonly payload?: unknown;
  readonly result?: unknown;
  readonly contentType?: string;
  readonly attempt?: number;
  readonly lastError?: string;
  readonly createdAt: string;
  readonly attempts?: readonly { number: number; outcome: string; error?: string; workerId?: string; startedAt?: string; endedAt?: string }[];
}

function taskOf(reply: ApiReply): TaskJson {
  expect(reply.status, reply.text).to.equal(200);
  return (reply.json as { task: TaskJson }).task;
}

/** The task in each `data:` event of a watch, then the end. */
function watchedStates(events: readonly SseEvent[]): string[] {
  return events.map((e) => (e.event === 'end' ? 'end' : (e.data as { task: TaskJson }).task.state));
}

describe('HTTP/JSON API against a real coordinator', function () {
  this.timeout(60_000);
  const processes = useTestProcesses();
  const { group } = processes;
  let coordinator: CoordinatorHandle;
  let client: BatonClient;
  let api: HttpApi;

  before(async () => {
    coordinator = await startCoordinator(group, {
      dataDir: join(group.tempDir(), 'data'),
      args: ['--max-payload-bytes', String(MAX_PAYLOAD_BYTES), '--trace-url', TRACE_URL, '--retry-initial-backoff', '50ms', '--retry-max-backoff', '50ms'],
    });
    await startWorker(group, coordinator.address, { concurrency: 4, args: ['--queue', RUN_QUEUE, '--worker-id', 'http-worker'] });
    client = processes.client(coordinator.address);
    api = new HttpApi(`http://127.0.0.1:${coordinator.httpPort}`);
  });

  describe('tasks', () => {
    it('submits with the payload as a JSON value, watches it by SSE until done, and returns the result as JSON', async () => {
      const submitted = taskOf(await api.post('/v1/tasks', { queue: RUN_QUEUE, type: 'noop', payload: { n: 7 } }));
      expect(submitted.payload).to.deep.equal({ n: 7 });
      expect(submitted.contentType).to.equal('application/json');
      const { status, events } = await api.events(`/v1/tasks/${submitted.id}:watch`);
      expect(status).to.equal(200);
      const states = watchedStates(events);
      expect(states.at(-1)).to.equal('end');
      expect(states.at(-2)).to.equal('TASK_STATE_SUCCEEDED');
      expect(events.at(-1)?.data).to.deep.equal({});
      const final = (events.at(-2)?.data as { task: TaskJson }).task;
      expect(final.attempts?.map((a) => a.outcome)).to.deep.equal(['ATTEMPT_OUTCOME_SUCCEEDED']);
      const done = taskOf(await api.get(`/v1/tasks/${submitted.id}`));
      expect(done.result).to.deep.equal({ n: 7 });
      expect(done.attempts?.[0]?.workerId).to.equal('http-worker');
    });

    it('takes a batch as {"tasks": [...]} on POST /v1/tasks, and on /v1/tasks:batch', async () => {
      const reply = await api.post('/v1/tasks', { tasks: [{ queue: 'http-idle', type: 'a' }, { queue: 'http-idle', type: 'b', payload: [1, 2] }] });
      expect(reply.status, reply.text).to.equal(200);
      const responses = (reply.json as { responses: { task: TaskJson }[] }).responses;
      expect(responses.map((r) => r.task.type)).to.deep.equal(['a', 'b']);
      expect(responses[1]?.task.payload).to.deep.equal([1, 2]);
      const batch = await api.post('/v1/tasks:batch', { tasks: [{ queue: 'http-idle', type: 'c' }] });
      expect((batch.json as { responses: unknown[] }).responses).to.have.length(1);
      // All or nothing, with the gRPC API's message naming the entry.
      const refused = await api.post('/v1/tasks', { tasks: [{ type: 'ok' }, { type: '' }] });
      expect(refused.status).to.equal(400);
      expect(apiError(refused)).to.deep.include({ status: 'INVALID_ARGUMENT', message: 'tasks[1].type: must not be empty' });
    });

    it('carries bytes of other content types as base64, the same bytes gRPC sees', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      const submitted = taskOf(await api.post('/v1/tasks', { queue: 'http-idle', type: 'blob', contentType: 'application/octet-stream', payload: bytes.toString('base64') }));
      expect(submitted.payload).to.equal(bytes.toString('base64'));
      const view = await client.get(submitted.id);
      expect(Buffer.from(view.payload).equals(bytes)).to.equal(true);
      const notBase64 = await api.post('/v1/tasks', { type: 'blob', contentType: 'image/png', payload: { not: 'bytes' } });
      expect(notBase64.status).to.equal(400);
      expect(apiError(notBase64).message).to.match(/^payload: expected base64/);
    });

    it('keeps a JSON payload\'s exact text: big numbers, duplicate keys and spacing reach the worker and come back as written', async () => {
      const payloadText = '{"id": 12345678901234567890, "k": 1, "k": 2, "big": 1e400}';
      const reply = await api.post('/v1/tasks', `{"queue": "http-idle", "type": "exact", "payload": ${payloadText}}`);
      const id = taskOf(reply).id;
      expect(reply.text).to.include(`"payload":${payloadText}`);
      expect(Buffer.from((await client.get(id)).payload).toString('utf8')).to.equal(payloadText);
      expect((await api.get(`/v1/tasks/${id}`)).text).to.include(`"payload":${payloadText}`);
      // Duplicate keys in the request itself are refused: which would win is not a choice to guess.
      const twice = await api.post('/v1/tasks', '{"type": "a", "type": "b"}');
      expect(apiError(twice).message).to.match(/the key "type" appears twice/);
    });

    it('shows a task over HTTP as gRPC shows it', async () => {
      const { task } = await client.submit('failTimes', { failures: 1 }, { queue: RUN_QUEUE, labels: { team: 'web' } });
      const finished = await client.wait(task.id);
      const http = taskOf(await api.get(`/v1/tasks/${task.id}`));
      expect(http.id).to.equal(finished.id);
      expect(http.queue).to.equal(finished.queue);
      expect(http.type).to.equal(finished.type);
      expect(http.state).to.equal(TaskState[finished.state]);
      expect(http.attempt).to.equal(finished.attempt);
      expect(http.createdAt).to.equal(finished.createdAt?.toISOString());
      expect(http.payload).to.deep.equal(JSON.parse(Buffer.from(finished.payload).toString('utf8')));
      expect(http.result).to.deep.equal(JSON.parse(Buffer.from(finished.result).toString('utf8')));
      expect(http.lastError).to.equal(finished.lastError);
      expect((http as unknown as { labels: unknown }).labels).to.deep.equal({ team: 'web' });
      expect(http.attempts?.map((a) => [a.number, a.outcome, a.error ?? '', a.workerId])).to.deep.equal(
        finished.attempts.map((a) => [a.number, `ATTEMPT_OUTCOME_${['UNSPECIFIED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'WORKER_LOST', 'CANCELED'][a.outcome]}`, a.error, a.workerId]),
      );
      expect(http.attempts?.[0]?.startedAt).to.equal(finished.attempts[0]?.startedAt?.toISOString());
    });

    it('lists with filters and pages through with page_token', async () => {
      const type = `page-${randomUUID().slice(0, 8)}`;
      for (let n = 0; n < 5; n += 1) taskOf(await api.post('/v1/tasks', { queue: 'http-paging', type, payload: { n } }));
      const seen: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const reply = await api.get(`/v1/tasks?queue=http-paging&type=${type}&state=TASK_STATE_QUEUED&page_size=2${token ? `&page_token=${token}` : ''}`);
        expect(reply.status, reply.text).to.equal(200);
        const page = reply.json as { tasks: TaskJson[]; nextPageToken?: string };
        expect(page.tasks.length).to.be.at.most(2);
        seen.push(...page.tasks.map((t) => t.id));
        for (const t of page.tasks) expect(t).to.not.have.property('payload'); // lists leave payloads out
        token = page.nextPageToken ?? '';
        pages += 1;
      } while (token !== '');
      expect(pages).to.equal(3);
      expect(seen).to.have.length(5);
      expect([...seen].sort().reverse()).to.deep.equal(seen); // newest first
      const none = await api.get(`/v1/tasks?queue=http-paging&type=${type}&state=TASK_STATE_DEAD`);
      expect((none.json as { tasks?: unknown[] }).tasks ?? []).to.have.length(0);
      // A query may name a state as the CLI does.
      const short = await api.get(`/v1/tasks?queue=http-paging&type=${type}&state=queued`);
      expect((short.json as { tasks: unknown[] }).tasks).to.have.length(5);
    });

    it('cancels a running task, shows its failed attempts and error, and retries a dead one', async () => {
      const running = taskOf(await api.post('/v1/tasks', { queue: RUN_QUEUE, type: 'hang' }));
      await pollUntil(async () => taskOf(await api.get(`/v1/tasks/${running.id}`)).state, (state) => state === 'TASK_STATE_RUNNING', 'the task runs');
      const canceled = taskOf(await api.post(`/v1/tasks/${running.id}:cancel`));
      expect(canceled.state).to.equal('TASK_STATE_CANCELED');
      const again = await api.post(`/v1/tasks/${running.id}:cancel`, {});
      expect(again.status).to.equal(400);
      expect(apiError(again).status).to.equal('FAILED_PRECONDITION');

      const failing = taskOf(await api.post('/v1/tasks', { queue: RUN_QUEUE, type: 'alwaysFail', payload: { message: 'the disk is full' }, maxAttempts: 2 }));
      const { events } = await api.events(`/v1/tasks/${failing.id}:watch`);
      expect(watchedStates(events).at(-2)).to.equal('TASK_STATE_DEAD');
      const dead = taskOf(await api.get(`/v1/tasks/${failing.id}`));
      expect(dead.lastError).to.equal('the disk is full');
      expect(dead.attempts?.map((a) => [a.outcome, a.error])).to.deep.equal([
        ['ATTEMPT_OUTCOME_FAILED', 'the disk is full'],
        ['ATTEMPT_OUTCOME_FAILED', 'the disk is full'],
      ]);
      const retried = taskOf(await api.post(`/v1/tasks/${failing.id}:retry`, {}));
      expect(retried.state).to.be.oneOf(['TASK_STATE_QUEUED', 'TASK_STATE_RUNNING', 'TASK_STATE_SCHEDULED']);
    });

    it('ends a watch of an unknown task with a 404, not a stream', async () => {
      const { status, events } = await api.events(`/v1/tasks/${randomUUID()}:watch`);
      expect(status).to.equal(404);
      expect((events[0]?.data as { error: { status: string } }).error.status).to.equal('NOT_FOUND');
    });
  });

  describe('refusals: a 4xx with a JSON error naming the problem', () => {
    it('bad JSON', async () => {
      const reply = await api.post('/v1/tasks', '{"type": "add",');
      expect(reply.status).to.equal(400);
      expect(apiError(reply)).to.include({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(apiError(reply).message).to.match(/^body: not valid JSON/);
    });

    it('an unknown field, at any depth', async () => {
      const top = await api.post('/v1/tasks', { type: 'add', colour: 'red' });
      expect(top.status).to.equal(400);
      expect(apiError(top).message).to.match(/^colour: unknown field; SubmitTaskRequest has fields queue, type, payload/);
      const nested = await api.post('/v1/tasks', { type: 'add', retry: { initialBackoff: '1s', backoff: 2 } });
      expect(apiError(nested).message).to.match(/^retry\.backoff: unknown field/);
    });

    it('a value of the wrong type, named by its path', async () => {
      const cases: [unknown, RegExp][] = [
        [{ type: 7 }, /^type: expected a string, got number 7/],
        [{ type: 'a', priority: 1.5 }, /^priority: expected an integer/],
        [{ type: 'a', delay: 5 }, /^delay: expected a duration in seconds such as "1\.5s"/],
        [{ type: 'a', runAt: 'tomorrow' }, /^runAt: expected an RFC 3339 time/],
        [{ type: 'a', labels: { team: 1 } }, /^labels\["team"\]: expected a string/],
        [[{ type: 'a' }], /^body: expected a JSON object/],
      ];
      for (const [body, message] of cases) {
        const reply = await api.post('/v1/tasks', body);
        expect(reply.status, JSON.stringify(body)).to.equal(400);
        expect(apiError(reply).message).to.match(message);
      }
    });

    it('an oversized body, before it is read whole', async () => {
      const limit = MAX_PAYLOAD_BYTES + 1024 * 1024;
      const reply = await api.post('/v1/tasks', { type: 'big', payload: 'x'.repeat(limit) });
      expect(reply.status).to.equal(413);
      expect(apiError(reply)).to.include({ status: 'RESOURCE_EXHAUSTED' });
      expect(apiError(reply).message).to.include(`over the limit of ${limit} bytes`);
      // Under the body limit but over the payload limit: the gRPC API's own message.
      const payload = await api.post('/v1/tasks', { type: 'big', payload: 'x'.repeat(MAX_PAYLOAD_BYTES + 10) });
      expect(payload.status).to.equal(400);
      expect(apiError(payload).message).to.match(/payload/);
    });

    it('a wrong method, with Allow', async () => {
      const reply = await api.request('DELETE', '/v1/tasks');
      expect(reply.status).to.equal(405);
      expect(reply.headers.get('allow')).to.equal('POST, GET');
      expect(apiError(reply).message).to.equal('/v1/tasks takes POST, GET, not DELETE');
      const head = await api.request('HEAD', '/v1/stats');
      expect([head.status, head.text]).to.deep.equal([200, '']);
      const headStream = await api.request('HEAD', '/v1/stats:watch');
      expect([headStream.status, headStream.headers.get('allow')]).to.deep.equal([405, 'GET']);
    });

    it('an unknown route', async () => {
      for (const path of ['/v1/jobs', '/v1/tasks/x/y', `/v1/tasks/${randomUUID()}:explode`]) {
        const reply = await api.get(path);
        expect(reply.status, path).to.equal(404);
        expect(apiError(reply)).to.include({ status: 'NOT_FOUND' });
        expect(apiError(reply).message).to.match(/^no route GET .* the routes are listed at \/v1\/openapi\.json$/);
      }
      const id = randomUUID();
      const rest = await api.post(`/v1/tasks/${id}/cancel`);
      expect(apiError(rest).message).to.equal(`no route POST /v1/tasks/${id}/cancel; did you mean POST /v1/tasks/${id}:cancel? the routes are listed at /v1/openapi.json`);
    });

    it('a body that is not JSON, a body where none belongs, and an unknown query parameter', async () => {
      const text = await api.request('POST', '/v1/tasks', 'type=add', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(text.status).to.equal(415);
      expect(apiError(text).message).to.match(/Content-Type must be application\/json/);
      const get = await api.request('GET', '/v1/stats', undefined, {});
      expect(get.status).to.equal(200);
      const withBody = await fetch(`${api.base}/v1/tasks/${randomUUID()}`, { method: 'DELETE' });
      expect(withBody.status).to.equal(405);
      const query = await api.get('/v1/tasks?stat=TASK_STATE_DEAD');
      expect(query.status).to.equal(400);
      expect(apiError(query).message).to.match(/^stat: not a query parameter of GET \/v1\/tasks; it takes queue, state, type/);
      const badState = await api.get('/v1/tasks?state=FINISHED');
      expect(apiError(badState).message).to.match(/^state: "FINISHED" is not one of TASK_STATE_UNSPECIFIED/);
      const bodyInQuery = await api.post('/v1/tasks?type=add', { type: 'add' });
      expect(apiError(bodyInQuery).message).to.match(/takes its fields in the body, not the query/);
      const badId = await api.get('/v1/tasks/not-a-uuid');
      expect(apiError(badId).message).to.equal('id: "not-a-uuid" is not a task id (a lowercase UUID)');
      const unknown = await api.get(`/v1/tasks/${randomUUID()}`);
      expect(unknown.status).to.equal(404);
    });
  });

  describe('stats, workers, queues and schedules', () => {
    it('stats carry per-queue history, and the stats watch streams snapshots', async () => {
      const stats = await api.get('/v1/stats?history=true');
      expect(stats.status).to.equal(200);
      const run = (stats.json as { queues: { queue: string; succeeded?: string; completedHistory: number[]; historyBucketSeconds: number }[] }).queues.find((q) => q.queue === RUN_QUEUE);
      expect(run?.completedHistory).to.have.length(30);
      expect(run?.historyBucketSeconds).to.equal(10);
      expect(typeof run?.succeeded).to.equal('string'); // 64-bit counts are strings in proto3 JSON
      expect(run?.completedHistory.reduce((a, b) => a + b, 0)).to.be.at.least(Number(run?.succeeded));
      const { status, events } = await api.events('/v1/stats:watch?interval=1s', (seen) => seen.length >= 3);
      expect(status).to.equal(200);
      expect(events.map((e) => e.event)).to.deep.equal(['message', 'message', 'message']);
      // One now, then on whole seconds.
      const takenAt = events.map((e) => Date.parse((e.data as { takenAt: string }).takenAt));
      expect(takenAt[2]! - takenAt[1]!).to.be.within(900, 1100);
      expect(takenAt[1]! % 1000).to.be.below(100);
      const tooFast = await api.get('/v1/stats:watch?interval=0.1s');
      expect(tooFast.status).to.equal(400);
      expect(apiError(tooFast).message).to.equal('interval: must be from 1s to 60s');
    });

    it('lists the workers with their slots', async () => {
      const reply = await api.get('/v1/workers');
      const workers = (reply.json as { workers: { workerId: string; slotsTotal: number; queues: string[] }[] }).workers;
      expect(workers.find((w) => w.workerId === 'http-worker')).to.deep.include({ slotsTotal: 4, queues: [RUN_QUEUE] });
    });

    it('updates, pauses and resumes a queue', async () => {
      const updated = await api.request('PATCH', '/v1/queues/http-limits', { settings: { concurrency: 3, rate: 5 }, updateMask: 'concurrency,rate' });
      expect(updated.status, updated.text).to.equal(200);
      expect((updated.json as { queue: { settings: { concurrency: number; rate: number } } }).queue.settings).to.deep.include({ concurrency: 3, rate: 5 });
      const paused = await api.post('/v1/queues/http-limits:pause');
      expect((paused.json as { queue: { settings: { paused?: boolean } } }).queue.settings.paused).to.equal(true);
      expect((await client.queues.get('http-limits')).settings?.paused).to.equal(true);
      const resumed = await api.post('/v1/queues/http-limits:resume', {});
      expect((resumed.json as { queue: { settings: { paused?: boolean } } }).queue.settings.paused).to.equal(undefined);
      const listed = await api.get('/v1/queues');
      expect((listed.json as { queues: { name: string }[] }).queues.map((q) => q.name)).to.include('http-limits');
    });

    it('creates, reads, updates, triggers and deletes a schedule', async () => {
      const spec = { name: 'http-nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin', task: { queue: 'http-idle', type: 'report', payload: { full: true } } };
      const created = await api.post('/v1/schedules', spec);
      expect(created.status, created.text).to.equal(200);
      const got = await api.get('/v1/schedules/http-nightly');
      const schedule = (got.json as { schedule: { spec: { task: { payload: unknown } } } }).schedule;
      expect(schedule.spec.task.payload).to.deep.equal({ full: true });
      const renamed = await api.request('PUT', '/v1/schedules/http-nightly', { ...spec, name: 'other' });
      expect(renamed.status).to.equal(400);
      expect(apiError(renamed).message).to.equal('spec.name: the URL says "http-nightly" but the body says "other"');
      const updated = await api.request('PUT', '/v1/schedules/http-nightly', { ...spec, cron: '30 3 * * *' });
      expect(updated.status, updated.text).to.equal(200);
      const fired = await api.post('/v1/schedules/http-nightly:trigger');
      const task = (fired.json as { task: TaskJson }).task;
      expect(task).to.deep.include({ type: 'report', queue: 'http-idle', payload: { full: true } });
      const deleted = await api.request('DELETE', '/v1/schedules/http-nightly');
      expect(deleted.status).to.equal(200);
      expect((await api.get('/v1/schedules/http-nightly')).status).to.equal(404);
    });
  });

  describe('the OpenAPI document', () => {
    it('is generated from the .proto, and every route it lists answers', async () => {
      const reply = await api.get('/v1/openapi.json');
      expect(reply.status).to.equal(200);
      const doc = reply.json as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
      expect(doc.openapi).to.match(/^3\./);
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), rpc: op.operationId })));
      expect(operations.map((o) => o.rpc)).to.include.members(['SubmitTask', 'GetTask', 'ListTasks', 'CancelTask', 'RetryTask', 'WatchTask', 'GetStats', 'WatchStats', 'ListWorkers', 'ListQueues', 'TriggerSchedule']);
      expect(operations).to.have.length(23);
      for (const { path, method, rpc } of operations) {
        const url = path.replace('{id}', randomUUID()).replace(/\{[a-z_.]+\}/g, 'openapi-probe');
        const controller = new AbortController();
        const response = await fetch(`${api.base}${url}`, {
          method,
          signal: controller.signal,
          ...(method === 'GET' || method === 'DELETE' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
        });
        // A stream answers 200 and goes on: its headers are the answer.
        const body = response.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await response.text();
        controller.abort();
        const what = `${method} ${url} (${rpc}): ${response.status} ${body.slice(0, 200)}`;
        expect(response.status, what).to.not.equal(405);
        expect(body, what).to.not.match(/no route/);
        expect(response.status, what).to.be.below(500);
      }
    });
  });

  describe('the dashboard', () => {
    it('is served at / with its config, a strict CSP and gzipped assets', async () => {
      const page = await fetch(`${api.base}/`);
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-security-policy')).to.match(/script-src 'self'/);
      const html = await page.text();
      expect(html).to.include(JSON.stringify({ traceUrl: TRACE_URL }));
      const js = await fetch(`${api.base}/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
      expect(js.status).to.equal(200);
      expect(js.headers.get('content-encoding')).to.equal('gzip');
      const etag = js.headers.get('etag') ?? '';
      const again = await fetch(`${api.base}/assets/app.js`, { headers: { 'if-none-match': etag } });
      expect(again.status).to.equal(304);
      expect((await fetch(`${api.base}/assets/nothing.js`)).status).to.equal(404);
    });

    it('--dashboard off keeps the API and metrics without the UI', async () => {
      const other = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data'), args: ['--dashboard', 'off'] });
      const base = `http://127.0.0.1:${other.httpPort}`;
      expect((await fetch(`${base}/`)).status).to.equal(404);
      expect((await fetch(`${base}/v1/stats`)).status).to.equal(200);
      expect((await fetch(`${base}/metrics`)).status).to.equal(200);
      await other.process.stop(5000);
    });
  });
});
