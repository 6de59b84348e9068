/**
 * Area 4: the HTTP/JSON API. Every route of the .proto's google.api.http annotations gets
 * random and mutated requests: valid bodies with a field replaced by any JSON value, unknown
 * and duplicated names, `__proto__` keys, deep nesting, wrong content types, path segments
 * that are ids, garbage or broken percent-escapes, and query strings with known and unknown
 * parameters. Each must get a deliberate answer: 2xx, or a 4xx/503 whose JSON error body
 * agrees with its status. A 500, a body that is not that JSON, or a dropped connection is a
 * finding. Tasks an answer acknowledges join the ones the final check must find.
 */
import fc from 'fast-check';
import { ROUTES } from '../../shared/gen/http/api-schema';
import type { HttpRouteSpec } from '../../shared/http/api-schema';
import { scaled } from './fuzz-config';
import { accept, type FuzzContext } from './fuzz-context';
import type { Finding } from './fuzz-report';
import { runProperty } from './property-runner';

const DEFAULT_REQUESTS = 4000;
/** A stream that answers 200 is closed as soon as its headers arrive. */
const REQUEST_TIMEOUT_MS = 10_000;

const CODE_NAMES = new Set(['INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'NOT_FOUND', 'ALREADY_EXISTS', 'ABORTED', 'RESOURCE_EXHAUSTED', 'CANCELLED', 'UNIMPLEMENTED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED']);

interface HttpCase {
  readonly route: HttpRouteSpec;
  readonly verb: string;
  readonly segment: string;
  readonly query: readonly (readonly [string, string])[];
  /** The body's text, or undefined for none. */
  readonly body: string | undefined;
  readonly contentType: string;
  readonly label: string;
}

/** A submission that is valid, for mutations to start from. */
const VALID_TASK = { queue: 'fz-http', type: 'noop', payload: { n: 1 }, priority: 1, maxAttempts: 2, delay: '3600s', labels: { k: 'v' }, retry: { initialBackoff: '1s', multiplier: 2 } };

const segmentArb = fc.oneof(
  { weight: 3, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: fc.constantFrom('default', 'fz-http', 'nightly', 'a%2Fb', '%E0%A4%A', '%00', '..', '%3Acancel', 'x'.repeat(300)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
);

const jsonValueArb = fc.jsonValue({ maxDepth: 4 });

/** A valid task with one field replaced by anything, or an unknown field, or a field named twice. */
const mutatedTaskArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ key: fc.constantFrom(...Object.keys(VALID_TASK), 'contentType', 'runAt', 'timeout', 'idempotencyKey', 'fairnessKey', 'traceContext'), value: jsonValueArb }).map(({ key, value }) => ({ ...VALID_TASK, [key]: value })),
  fc.record({ key: fc.string({ maxLength: 12 }), value: jsonValueArb }).map(({ key, value }) => ({ ...VALID_TASK, [key]: value })),
  fc.constant({ ...VALID_TASK, max_attempts: 3 }),
  fc.constant({ ...VALID_TASK, contentType: 'application/octet-stream', payload: 'AAECAw==' }),
  fc.constant({ ...VALID_TASK, contentType: 'image/png', payload: { not: 'base64' } }),
  fc.array(fc.constant(VALID_TASK), { maxLength: 3 }).map((tasks) => ({ tasks })),
  jsonValueArb,
);

/** Bodies as text: JSON of the above, and text JSON.stringify never makes. */
const bodyTextArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: mutatedTaskArb.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"__proto__": {"polluted": true}, "type": "x"}',
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"type": "a", "type": "b"}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `{"type": "x", "labels": {${Array.from({ length: 100 }, (_, i) => `"k${i}": "v"`).join(',')}}}`,
      '{"type": "\\ud800"}',
      '{"type": "x", "payload": 1e999}',
      '{"type": 12345678901234567890}',
      '',
      '{',
      'null',
      '"just a string"',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

const queryArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom('state', 'queue', 'type', 'page_size', 'pageSize', 'page_token', 'history', 'interval', 'created_after', 'schedule', 'id', 'bogus'), fc.string({ maxLength: 8 })),
    fc.oneof(fc.constantFrom('TASK_STATE_DEAD', 'DEAD', '3', '-1', '1001', 'true', 'nope', '2s', '0.1s', '2026-01-01T00:00:00Z', ''), fc.string({ maxLength: 20 })),
  ),
  { maxLength: 3 },
);

const caseArb: fc.Arbitrary<HttpCase> = fc
  .record({
    route: fc.constantFrom(...ROUTES),
    wrongVerb: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
    segment: segmentArb,
    query: fc.oneof({ weight: 2, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: queryArb }),
    body: bodyTextArb,
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-8', '') }),
    /** A body on a route that takes none, one case in ten. */
    bodyWhereNone: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  })
  .map(({ route, wrongVerb, segment, query, body, contentType, bodyWhereNone }) => ({
    route,
    verb: wrongVerb ?? route.verb,
    segment,
    query,
    body: route.body === '' && !bodyWhereNone ? undefined : body,
    contentType,
    label: `${route.rpc}${wrongVerb ? '/verb' : ''}`,
  }));

function urlOf(httpCase: HttpCase): string {
  const path = httpCase.route.path.replace(/\{[^}]+\}/g, httpCase.segment);
  const query = httpCase.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${path}${query ? `?${query}` : ''}`;
}

async function runCase(ctx: FuzzContext, httpCase: HttpCase): Promise<Finding[]> {
  const url = urlOf(httpCase);
  const input = (): string => `${httpCase.verb} ${url}\ncontent-type: ${httpCase.contentType}\n\n${(httpCase.body ?? '').slice(0, 600)}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let status: number;
  let text: string;
  let contentType: string;
  try {
    const hasBody = httpCase.body !== undefined && httpCase.verb !== 'GET' && httpCase.verb !== 'HEAD';
    const response = await fetch(`http://127.0.0.1:${ctx.coordinator.httpPort}${url}`, {
      method: httpCase.verb,
      signal: controller.signal,
      headers: hasBody && httpCase.contentType !== '' ? { 'content-type': httpCase.contentType } : {},
      ...(hasBody ? { body: httpCase.body } : {}),
    });
    status = response.status;
    contentType = response.headers.get('content-type') ?? '';
    text = contentType.startsWith('text/event-stream') ? '' : await response.text();
  } catch (err: unknown) {
    return [{ signature: `http ${httpCase.label}: no answer`, summary: `no HTTP answer: ${err instanceof Error ? err.message : String(err)}`, input }];
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  ctx.report.answer(`http ${httpCase.label}`, String(status));
  if (status >= 500 && status !== 503) return [{ signature: `http ${httpCase.label}: ${status}`, summary: `${status}: ${text.slice(0, 300)}`, input }];
  if (status === 200) {
    if (!contentType.startsWith('text/event-stream')) acceptTasks(ctx, httpCase.route, text);
    return [];
  }
  let body: { error?: { code?: unknown; status?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return [{ signature: `http ${httpCase.label}: ${status} without a JSON body`, summary: `${status} with a body that is not JSON: ${text.slice(0, 200)}`, input }];
  }
  const error = body.error;
  if (!error || error.code !== status || typeof error.status !== 'string' || !CODE_NAMES.has(error.status) || typeof error.message !== 'string' || error.message === '') {
    return [{ signature: `http ${httpCase.label}: ${status} with a malformed error`, summary: `${status} with ${text.slice(0, 300)}`, input }];
  }
  return [];
}

/** Tasks the answer acknowledged, for the final check that every one is still there. */
function acceptTasks(ctx: FuzzContext, route: HttpRouteSpec, text: string): void {
  if (route.rpc !== 'SubmitTask' && route.rpc !== 'SubmitTasks' && route.rpc !== 'TriggerSchedule') return;
  const body = JSON.parse(text) as { task?: { id?: string }; responses?: { task?: { id?: string } }[] };
  accept(ctx, body.task?.id);
  for (const response of body.responses ?? []) accept(ctx, response.task?.id);
}

export async function fuzzHttpJson(ctx: FuzzContext): Promise<void> {
  await runProperty(
    {
      name: 'http routes/random',
      arb: caseArb,
      numRuns: scaled(ctx.config, DEFAULT_REQUESTS),
      run: async (httpCase) => {
        ctx.report.sent();
        return runCase(ctx, httpCase);
      },
    },
    ctx.config,
    ctx.report,
    ctx.known,
  );
}
