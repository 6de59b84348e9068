import type { IncomingMessage, ServerResponse } from 'node:http';
import type { handleServerStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InvalidArgumentError, ResourceExhaustedError } from '../../shared/errors';
import type { TaskQueueServer } from '../../shared/gen/baton/v1/task_queue';
import { CODECS } from '../../shared/gen/http/codecs';
import { ENUMS, MESSAGES, ROUTES } from '../../shared/gen/http/api-schema';
import { OPENAPI_JSON } from '../../shared/gen/http/openapi';
import type { FieldSchema, HttpRouteSpec } from '../../shared/http/api-schema';
import type { Logger } from '../../shared/logger';
import { HttpRefusal, httpError } from './http-errors';
import { invokeServerStreaming, invokeUnary, type HttpCaller } from './in-process-call';
import { stringifyJson } from './json-text';
import { isObject, ProtoJson } from './proto-json';
import { readJsonBody } from './request-body';
import { colonSuggestion, RouteTable, type RouteMatch } from './route-table';
import { SseResponse } from './sse-response';

/** Unary API requests one client address may have in flight at once; streams are limited as watches are. */
export const DEFAULT_MAX_REQUESTS_PER_CLIENT = 64;

export interface ApiGatewayDeps {
  /** The TaskQueue gRPC service's handlers: each route runs the one its RPC names. */
  readonly service: TaskQueueServer;
  /** The largest request body read, in bytes. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly maxRequestsPerClient?: number;
}

const tracer = trace.getTracer('baton-coordinator-http');

/**
 * The HTTP/JSON API: each `google.api.http` route of the .proto runs its RPC's gRPC handler
 * in process (in-process-call.ts), so that both transports share one contract, one
 * admission (credentials, roles, queues), one validation and one set of error messages. JSON
 * is the proto3 mapping, checked strictly (proto-json.ts); server-streaming RPCs answer as
 * Server-Sent Events.
 */
export class ApiGateway {
  private readonly routes = new RouteTable(ROUTES);
  private readonly json = new ProtoJson({ messages: MESSAGES, enums: ENUMS });
  private readonly inFlight = new Map<string, number>();
  private readonly encoded = new WeakMap<object, string>();
  private readonly maxRequestsPerClient: number;
  private readonly submitTasks: HttpRouteSpec;

  constructor(private readonly deps: ApiGatewayDeps) {
    this.maxRequestsPerClient = deps.maxRequestsPerClient ?? DEFAULT_MAX_REQUESTS_PER_CLIENT;
    const batch = ROUTES.find((route) => route.rpc === 'SubmitTasks');
    if (!batch) throw new Error('the .proto has no SubmitTasks route');
    this.submitTasks = batch;
  }

  /** The OpenAPI document's text (generated at build time from the .proto). */
  static get openApiDocument(): string {
    return OPENAPI_JSON;
  }

  /**
   * Answers one request under /v1/. Never rejects: every failure is an HTTP error response.
   * A request holds one of its address's slots from here until its response has left (or
   * its connection closed): reading its body, running it, and writing an answer the client
   * may be slow to read. A stream gives its slot back once it starts, as the watch limits
   * count streams.
   */
  async serve(req: IncomingMessage, res: ServerResponse, url: URL, caller: HttpCaller): Promise<void> {
    const release = this.admit(caller.peer);
    if (!release) {
      respondError(res, new ResourceExhaustedError(`${this.maxRequestsPerClient} requests from this address are in flight, the limit; wait for some to finish`), req);
      return;
    }
    // The socket too: an answer queued behind another on a pipelined connection has no socket
    // yet, and when the connection goes it hears neither 'close' nor 'finish'.
    const socket = req.socket;
    const done = (): void => {
      release();
      socket.off('close', done);
    };
    socket.once('close', done);
    res.once('close', done);
    res.once('finish', done);
    try {
      await this.route(req, res, url, caller, release);
    } catch (err: unknown) {
      // A request whose connection closed has no socket left, or a destroyed one.
      if ((req.socket === null || req.socket.destroyed) && !res.headersSent) {
        // The client went away while sending: nobody to answer, nothing wrong here.
        this.deps.logger.debug({ method: req.method, path: url.pathname }, 'HTTP API client went away mid-request');
        return;
      }
      this.logFailure(req, err);
      if (!res.headersSent) respondError(res, err, req);
      else res.destroy();
    } finally {
      if (!res.writableFinished) dropIfUnread(res);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, caller: HttpCaller, release: () => void): Promise<void> {
    const verb = req.method ?? 'GET';
    const found = this.routes.lookup(verb, url.pathname);
    if (found.kind === 'unknown') {
      const meant = colonSuggestion(this.routes, verb, url.pathname);
      throw new HttpRefusal(404, 'NOT_FOUND', `no route ${verb} ${url.pathname}; ${meant ? `did you mean ${meant}? ` : ''}the routes are listed at /v1/openapi.json`);
    }
    if (found.kind === 'wrong-method') {
      const allowed = found.allowed.join(', ');
      throw new HttpRefusal(405, 'UNIMPLEMENTED', `${url.pathname} takes ${allowed}, not ${verb}`, { allow: allowed });
    }
    const { route, bindings } = found.match;
    if (verb === 'HEAD' && route.streaming) throw new HttpRefusal(405, 'UNIMPLEMENTED', `${url.pathname} is a stream; GET it`, { allow: 'GET' });
    const hasBody = route.body !== '';
    // Only now, with the route known and the caller admitted, does a client waiting on `Expect: 100-continue` send its body.
    const body = hasBody ? await readJsonBody(req, this.deps.maxBodyBytes, () => res.writeContinue()) : await refuseBody(req);
    // One task, or {"tasks": [...]}: POST /v1/tasks takes both, as SubmitTask and SubmitTasks.
    const effective = route.rpc === 'SubmitTask' && isObject(body) && Object.prototype.hasOwnProperty.call(body, 'tasks') ? this.submitTasks : route;
    const requestJson = this.requestJson({ route: effective, bindings }, body, url.searchParams);
    const request = CODECS[effective.requestType]?.fromJSON(this.json.decode(effective.requestType, requestJson));
    const handler = (this.deps.service as unknown as Record<string, unknown>)[effective.handler];
    if (typeof handler !== 'function') throw new Error(`no handler for ${effective.rpc}`);
    if (effective.streaming) release();
    await this.traced(req, effective, (span) =>
      effective.streaming
        ? this.stream(req, res, effective, handler as handleServerStreamingCall<unknown, unknown>, request, caller, span)
        : this.unary(res, effective, handler as handleUnaryCall<unknown, unknown>, request, caller, verb === 'HEAD'),
    );
  }

  /** The request as proto3 JSON: the body (or the field it fills), the path's fields, and the query's. */
  private requestJson(match: RouteMatch, body: unknown, query: URLSearchParams): Record<string, unknown> {
    const { route, bindings } = match;
    let json: Record<string, unknown>;
    if (route.body === '*') {
      if (body !== undefined && !isObject(body)) throw new InvalidArgumentError(`body: expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
      json = { ...(body ?? {}) };
    } else if (route.body !== '') {
      if (body === undefined) throw new InvalidArgumentError(`body: ${route.rpc} needs a JSON body (its ${route.body})`);
      json = { [route.body]: body };
    } else {
      json = this.queryJson(route, query, bindings);
    }
    if (route.body !== '' && [...query.keys()].length > 0) {
      throw new InvalidArgumentError(`query: ${route.verb} ${route.path} takes its fields in the body, not the query (${[...query.keys()][0]})`);
    }
    for (const [path, value] of bindings) bind(json, path, value);
    return json;
  }

  /** The query parameters as JSON of the request's fields, each converted as its field's type reads. */
  private queryJson(route: HttpRouteSpec, query: URLSearchParams, bindings: ReadonlyMap<string, string>): Record<string, unknown> {
    const fields = MESSAGES[route.requestType]?.fields ?? [];
    const json: Record<string, unknown> = {};
    for (const key of new Set(query.keys())) {
      const field = fields.find((f) => f.name === key || f.json === key);
      if (!field || bindings.has(field.name) || field.mapKey || (field.value.kind === 'message' && !isStringForm(field))) {
        const names = fields.filter((f) => !bindings.has(f.name) && !f.mapKey && (f.value.kind !== 'message' || isStringForm(f))).map((f) => f.name);
        throw new InvalidArgumentError(`${key}: not a query parameter of ${route.verb} ${route.path}${names.length > 0 ? `; it takes ${names.join(', ')}` : '; it takes none'}`);
      }
      const values = query.getAll(key).map((text) => queryValue(field, text));
      if (!field.repeated && values.length > 1) throw new InvalidArgumentError(`${key}: given ${values.length} times; it takes one value`);
      json[field.json] = field.repeated ? values : values[0];
    }
    return json;
  }

  private async unary(res: ServerResponse, route: HttpRouteSpec, handler: handleUnaryCall<unknown, unknown>, request: unknown, caller: HttpCaller, headOnly: boolean): Promise<void> {
    const response = await invokeUnary(handler, request, caller);
    const body = stringifyJson(this.json.encode(route.responseType, CODECS[route.responseType]?.toJSON(response as never)));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(headOnly ? undefined : body);
  }

  /** Runs a server-streaming handler until it ends, fails, or the client goes. */
  private stream(req: IncomingMessage, res: ServerResponse, route: HttpRouteSpec, handler: handleServerStreamingCall<unknown, unknown>, request: unknown, caller: HttpCaller, span: Span): Promise<void> {
    return new Promise<void>((resolve) => {
      const sse = new SseResponse(res, (err) => respondError(res, err));
      const done = (err?: unknown): void => {
        if (err !== undefined) recordError(span, err);
        resolve();
      };
      const call = invokeServerStreaming(handler, request, caller, {
        message: (message) => sse.send(this.encodedOnce(route.responseType, message)),
        end: () => {
          sse.end();
          done();
        },
        fail: (err) => {
          sse.fail(err);
          done(err);
        },
      });
      res.on('drain', () => call.drained());
      // The client closed the stream (or its connection): the handler stops and releases its
      // slot. The socket's close counts too: a stream queued behind another answer on a
      // pipelined connection hears nothing else when that connection goes.
      const socket = req.socket;
      const gone = (): void => {
        socket.off('close', gone);
        sse.closed();
        call.cancelled();
        done();
      };
      socket.once('close', gone);
      res.once('close', gone);
      req.resume();
    });
  }

  /**
   * A stream message's JSON text, encoded once however many streams send it: stats watches
   * of one tick share their snapshot object (api/shared-stats-snapshots.ts).
   */
  private encodedOnce(type: string, message: unknown): string {
    const key = message as object;
    let text = this.encoded.get(key);
    if (text === undefined) {
      text = stringifyJson(this.json.encode(type, CODECS[type]?.toJSON(message as never)));
      this.encoded.set(key, text);
    }
    return text;
  }

  private traced(req: IncomingMessage, route: HttpRouteSpec, run: (span: Span) => Promise<void>): Promise<void> {
    // A client's traceparent header puts the request (and a task it submits) in the client's trace.
    const parent = propagation.extract(context.active(), req.headers);
    const name = `${route.verb} ${route.path}`;
    return tracer.startActiveSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.request.method': route.verb, 'http.route': route.path, 'rpc.system': 'grpc', 'rpc.service': 'baton.v1.TaskQueue', 'rpc.method': route.rpc } }, parent, async (span) => {
      try {
        await run(span);
      } catch (err: unknown) {
        recordError(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private admit(peer: string): (() => void) | undefined {
    const open = this.inFlight.get(peer) ?? 0;
    if (open >= this.maxRequestsPerClient) return undefined;
    this.inFlight.set(peer, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.inFlight.get(peer) ?? 1) - 1;
      if (now === 0) this.inFlight.delete(peer);
      else this.inFlight.set(peer, now);
    };
  }

  private logFailure(req: IncomingMessage, err: unknown): void {
    const { status, body } = httpError(err);
    if (status >= 500) this.deps.logger.error({ err, method: req.method, path: req.url?.split('?')[0] }, 'HTTP API request failed');
    else this.deps.logger.debug({ method: req.method, path: req.url?.split('?')[0], code: body.error.status, err_message: body.error.message }, 'HTTP API request refused');
  }
}

/** How long an ended response may wait for its client to read it before the connection goes. */
export const UNREAD_RESPONSE_TIMEOUT_MS = 30_000;

/**
 * Closes the connection of a response its client does not read: an answer written but not
 * taken within {@link UNREAD_RESPONSE_TIMEOUT_MS} would otherwise hold its bytes, and the
 * socket, for as long as the client likes.
 */
export function dropIfUnread(res: ServerResponse): void {
  if (res.writableFinished || res.destroyed) return;
  const timer = setTimeout(() => res.destroy(), UNREAD_RESPONSE_TIMEOUT_MS);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  res.once('finish', clear);
  res.once('close', clear);
}

/**
 * Writes the JSON error for `err`. Given the request, and when it declared a body that has
 * not all arrived, the connection closes after the answer: keeping it alive would mean
 * reading the rest of a body that was refused, however large.
 */
export function respondError(res: ServerResponse, err: unknown, req?: IncomingMessage): void {
  const { status, body, headers } = httpError(err);
  const text = JSON.stringify(body);
  const unreadBody = req !== undefined && !req.complete && (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined);
  res.writeHead(status, { ...headers, ...(unreadBody ? { connection: 'close' } : {}), 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A route without a body takes none: one that is sent is refused rather than silently
 * ignored, from the headers alone (the refusal closes the connection, and the body with it).
 */
function refuseBody(req: IncomingMessage): Promise<undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > 0 || req.headers['transfer-encoding'] !== undefined) {
    return Promise.reject(new HttpRefusal(400, 'INVALID_ARGUMENT', `body: ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname} takes no body; send its fields in the query`, { connection: 'close' }));
  }
  return Promise.resolve(undefined);
}

/** Sets the field at a dotted path (`spec.name`) from the URL, refusing a body that says otherwise. */
function bind(json: Record<string, unknown>, path: string, value: string): void {
  const parts = path.split('.');
  let node = json;
  parts.forEach((part, i) => {
    const key = part in node ? part : camel(part) in node ? camel(part) : part;
    if (i === parts.length - 1) {
      const given = node[key];
      if (given !== undefined && given !== null && given !== value) throw new InvalidArgumentError(`${path}: the URL says "${value}" but the body says ${JSON.stringify(given)}`);
      node[key] = value;
      return;
    }
    const next = node[key] ?? {};
    if (!isObject(next)) throw new InvalidArgumentError(`${parts.slice(0, i + 1).join('.')}: expected a JSON object`);
    node[key] = next;
    node = next;
  });
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Message fields that a query can set, because their JSON is a string (times and durations). */
function isStringForm(field: FieldSchema): boolean {
  return field.value.kind === 'message' && (field.value.name === 'google.protobuf.Timestamp' || field.value.name === 'google.protobuf.Duration');
}

/** A query parameter's text as the JSON value its field reads (ProtoJson then checks it). */
function queryValue(field: FieldSchema, text: string): unknown {
  if (field.value.kind === 'scalar' && field.value.scalar === 'bool') {
    if (text === 'true' || text === '') return true;
    if (text === 'false') return false;
    throw new InvalidArgumentError(`${field.name}: expected true or false, got "${text}"`);
  }
  if (field.value.kind === 'enum') return /^\d+$/.test(text) ? Number(text) : enumName(field.value.name, text);
  return text;
}

/**
 * An enum value as a query may write it: its full name, or (as the CLI takes it) the part
 * after the enum's common prefix in any case, `dead` for `TASK_STATE_DEAD`. Anything else is
 * left for ProtoJson to refuse, listing the names.
 */
function enumName(enumType: string, text: string): string {
  const names = ENUMS[enumType] ?? [];
  if (names.includes(text)) return text;
  const prefix = commonPrefix(names);
  const full = `${prefix}${text.toUpperCase()}`;
  return names.includes(full) && !full.endsWith('_UNSPECIFIED') ? full : text;
}

function commonPrefix(names: readonly string[]): string {
  const first = names[0] ?? '';
  let length = first.lastIndexOf('_') + 1;
  while (length > 0 && !names.every((name) => name.startsWith(first.slice(0, length)))) length = first.lastIndexOf('_', length - 2) + 1;
  return first.slice(0, length);
}

function recordError(span: Span, err: unknown): void {
  const { status, body } = httpError(err);
  span.setAttribute('http.response.status_code', status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${body.error.status}: ${body.error.message}` });
}
