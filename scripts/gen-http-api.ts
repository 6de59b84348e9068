/**
 * Writes the HTTP/JSON contract from the .proto files, at build time:
 *
 *   node --import tsx scripts/gen-http-api.ts DESCRIPTOR.json OUT_DIR
 *
 * DESCRIPTOR.json is `buf build -o` output (a FileDescriptorSet as JSON, with comments).
 * Into OUT_DIR go `api-schema.ts` (every message's fields and every `google.api.http` route,
 * which the coordinator's gateway serves), `codecs.ts` (the ts-proto codecs of each route's
 * request and response) and `openapi.ts` (the OpenAPI 3 document served at
 * /v1/openapi.json). Nothing here is written by hand, so the routes, the JSON the gateway
 * accepts and the document cannot drift from the .proto.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldSchema, HttpRouteSpec, HttpVerb, MessageSchema, ScalarType, ValueType } from '../shared/http/api-schema';

interface FieldDescriptor {
  name: string;
  number: number;
  label?: string;
  type: string;
  typeName?: string;
  jsonName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}
interface MessageDescriptor {
  name: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  oneofDecl?: { name: string }[];
  options?: { mapEntry?: boolean };
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface HttpRule {
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  body?: string;
  additionalBindings?: HttpRule[];
}
interface MethodDescriptor {
  name: string;
  inputType: string;
  outputType: string;
  serverStreaming?: boolean;
  clientStreaming?: boolean;
  options?: { '[google.api.http]'?: HttpRule };
}
interface FileDescriptor {
  name: string;
  package?: string;
  messageType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  service?: { name: string; method?: MethodDescriptor[] }[];
  sourceCodeInfo?: { location?: { path: number[]; leadingComments?: string }[] };
}

/** Where a definition came from: its file (for imports) and its comment. */
interface Origin {
  readonly file: string;
  readonly comment: string;
}

const [descriptorPath, outDir] = process.argv.slice(2);
if (!descriptorPath || !outDir) {
  console.error('usage: gen-http-api.ts DESCRIPTOR.json OUT_DIR');
  process.exit(2);
}
const files = (JSON.parse(readFileSync(descriptorPath, 'utf8')) as { file: FileDescriptor[] }).file;

const messages = new Map<string, MessageSchema>();
const messageOrigins = new Map<string, Origin>();
const fieldComments = new Map<string, string>();
const enums = new Map<string, readonly string[]>();
const enumOrigins = new Map<string, Origin>();
const mapEntries = new Map<string, { key: ScalarType; value: ValueType }>();
const routes: HttpRouteSpec[] = [];
const routeComments = new Map<string, string>();

for (const file of files) {
  const comments = new Map<string, string>();
  for (const location of file.sourceCodeInfo?.location ?? []) {
    if (location.leadingComments) comments.set(location.path.join('.'), tidy(location.leadingComments));
  }
  const prefix = file.package ? `${file.package}.` : '';
  (file.enumType ?? []).forEach((e, i) => addEnum(`${prefix}${e.name}`, e, { file: file.name, comment: comments.get(`5.${i}`) ?? '' }));
  (file.messageType ?? []).forEach((m, i) => addMessage(`${prefix}${m.name}`, m, file.name, `4.${i}`, comments));
  (file.service ?? []).forEach((service, s) =>
    (service.method ?? []).forEach((method, m) => {
      const rule = method.options?.['[google.api.http]'];
      if (!rule) return;
      if (method.clientStreaming) throw new Error(`${service.name}.${method.name}: a client-streaming RPC cannot be served over HTTP/JSON`);
      for (const binding of [rule, ...(rule.additionalBindings ?? [])]) {
        const [verb, path] = patternOf(binding, method.name);
        routes.push({
          handler: method.name.charAt(0).toLowerCase() + method.name.slice(1),
          rpc: method.name,
          verb,
          path,
          body: binding.body ?? '',
          requestType: method.inputType.replace(/^\./, ''),
          responseType: method.outputType.replace(/^\./, ''),
          streaming: method.serverStreaming === true,
        });
      }
      routeComments.set(method.name, comments.get(`6.${s}.2.${m}`) ?? '');
    }),
  );
}

function addEnum(name: string, e: EnumDescriptor, origin: Origin): void {
  enums.set(name, e.value.map((v) => v.name));
  enumOrigins.set(name, origin);
}

function addMessage(name: string, m: MessageDescriptor, file: string, path: string, comments: Map<string, string>): void {
  (m.nestedType ?? []).forEach((nested, i) => addMessage(`${name}.${nested.name}`, nested, file, `${path}.3.${i}`, comments));
  (m.enumType ?? []).forEach((e, i) => addEnum(`${name}.${e.name}`, e, { file, comment: comments.get(`${path}.4.${i}`) ?? '' }));
  if (m.options?.mapEntry) {
    const [key, value] = m.field ?? [];
    if (!key || !value) throw new Error(`${name}: a map entry without key and value`);
    mapEntries.set(name, { key: scalarOf(key), value: valueOf(value) });
    return;
  }
  const fields = (m.field ?? []).map((f, i): FieldSchema => {
    fieldComments.set(`${name}.${f.name}`, comments.get(`${path}.2.${i}`) ?? '');
    const oneof = f.oneofIndex !== undefined && !f.proto3Optional ? m.oneofDecl?.[f.oneofIndex]?.name : undefined;
    return {
      name: f.name,
      json: f.jsonName ?? f.name,
      value: valueOf(f),
      repeated: f.label === 'LABEL_REPEATED',
      ...(oneof ? { oneof } : {}),
    };
  });
  messages.set(name, { fields });
  messageOrigins.set(name, { file, comment: comments.get(path) ?? '' });
}

function valueOf(f: FieldDescriptor): ValueType {
  if (f.type === 'TYPE_MESSAGE') return { kind: 'message', name: (f.typeName ?? '').replace(/^\./, '') };
  if (f.type === 'TYPE_ENUM') return { kind: 'enum', name: (f.typeName ?? '').replace(/^\./, '') };
  return { kind: 'scalar', scalar: scalarOf(f) };
}

function scalarOf(f: FieldDescriptor): ScalarType {
  const scalar = f.type.replace(/^TYPE_/, '').toLowerCase();
  const known: readonly string[] = ['string', 'bool', 'bytes', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'double', 'float'];
  if (!known.includes(scalar)) throw new Error(`field ${f.name}: type ${f.type} has no JSON mapping here`);
  return scalar as ScalarType;
}

function patternOf(rule: HttpRule, method: string): [HttpVerb, string] {
  const verbs: [HttpVerb, string | undefined][] = [['GET', rule.get], ['POST', rule.post], ['PUT', rule.put], ['PATCH', rule.patch], ['DELETE', rule.delete]];
  const found = verbs.filter(([, path]) => path !== undefined);
  if (found.length !== 1) throw new Error(`${method}: a google.api.http rule needs exactly one of get, post, put, patch, delete`);
  return found[0] as [HttpVerb, string];
}

function tidy(comment: string): string {
  return comment.split('\n').map((line) => line.replace(/^ /, '')).join('\n').trim();
}

// Maps are stored on their fields, where the gateway meets them.
for (const [name, schema] of messages) {
  messages.set(name, {
    fields: schema.fields.map((field) => {
      const entry = field.value.kind === 'message' ? mapEntries.get(field.value.name) : undefined;
      return entry ? { ...field, repeated: false, mapKey: entry.key, value: entry.value } : field;
    }),
  });
}

/** Messages and enums a route's request or response can hold. */
function reachable(): { messages: Set<string>; enums: Set<string> } {
  const seen = { messages: new Set<string>(), enums: new Set<string>() };
  const visit = (name: string): void => {
    if (seen.messages.has(name)) return;
    const schema = messages.get(name);
    if (!schema) throw new Error(`unknown message ${name}`);
    seen.messages.add(name);
    for (const field of schema.fields) {
      if (field.value.kind === 'message') visit(field.value.name);
      if (field.value.kind === 'enum') seen.enums.add(field.value.name);
    }
  };
  for (const route of routes) {
    visit(route.requestType);
    visit(route.responseType);
  }
  return seen;
}
const used = reachable();

// ---- api-schema.ts: what the gateway checks and routes by ----

const schemaSource = [
  '// Generated by scripts/gen-http-api.ts from the .proto files. Do not edit.',
  "import type { HttpRouteSpec, MessageSchema } from '../../http/api-schema';",
  '',
  `export const MESSAGES: Readonly<Record<string, MessageSchema>> = ${JSON.stringify(Object.fromEntries([...used.messages].sort().map((name) => [name, messages.get(name)])), null, 2)};`,
  '',
  `export const ENUMS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(Object.fromEntries([...used.enums].sort().map((name) => [name, enums.get(name)])), null, 2)};`,
  '',
  `export const ROUTES: readonly HttpRouteSpec[] = ${JSON.stringify(routes, null, 2)};`,
  '',
].join('\n');

// ---- codecs.ts: the generated toJSON/fromJSON of each route's messages ----

const topLevel = new Set(routes.flatMap((route) => [route.requestType, route.responseType]));
const imports = new Map<string, string[]>();
for (const name of [...topLevel].sort()) {
  const origin = messageOrigins.get(name);
  if (!origin) throw new Error(`unknown message ${name}`);
  const module = `../${origin.file.replace(/\.proto$/, '')}`;
  imports.set(module, [...(imports.get(module) ?? []), name.split('.').pop() as string]);
}
const codecsSource = [
  '// Generated by scripts/gen-http-api.ts from the .proto files. Do not edit.',
  ...[...imports].map(([module, names]) => `import { ${names.join(', ')} } from '${module}';`),
  '',
  '/** The ts-proto codec of every message a route takes or returns, by full name. */',
  'export const CODECS: Readonly<Record<string, { fromJSON(object: unknown): unknown; toJSON(message: never): unknown }>> = {',
  ...[...topLevel].sort().map((name) => `  '${name}': ${name.split('.').pop()},`),
  '};',
  '',
].join('\n');

// ---- openapi.ts: the OpenAPI 3 document ----

/** Bytes fields that carry a task's payload or result: JSON values when their content type is JSON. */
const JSON_VALUED = new Set(['baton.v1.SubmitTaskRequest.payload', 'baton.v1.TaskTemplate.payload', 'baton.v1.Task.payload', 'baton.v1.Task.result']);

function componentName(name: string): string {
  return name.replace(/^baton\.v1\./, '').replace(/^google\.protobuf\./, '').replace(/\./g, '_');
}

function valueSchema(value: ValueType, owner: string, field: string): Record<string, unknown> {
  if (JSON_VALUED.has(`${owner}.${field}`)) {
    return { description: 'A JSON value when the content type is application/json (the default), else the bytes in base64.' };
  }
  if (value.kind === 'enum') return { $ref: `#/components/schemas/${componentName(value.name)}` };
  if (value.kind === 'message') {
    if (value.name === 'google.protobuf.Timestamp') return { type: 'string', format: 'date-time' };
    if (value.name === 'google.protobuf.Duration') return { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$', example: '1.5s' };
    if (value.name === 'google.protobuf.FieldMask') return { type: 'string', description: 'Field paths, comma-separated (lowerCamelCase).' };
    return { $ref: `#/components/schemas/${componentName(value.name)}` };
  }
  switch (value.scalar) {
    case 'string':
      return { type: 'string' };
    case 'bool':
      return { type: 'boolean' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'double':
    case 'float':
      return { type: 'number', format: value.scalar };
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return { type: 'string', format: value.scalar, description: '64-bit integer as a decimal string (a JSON number is accepted too).' };
    default:
      return { type: 'integer', format: value.scalar.includes('32') && value.scalar.startsWith('u') ? 'uint32' : 'int32', ...(value.scalar.startsWith('u') || value.scalar === 'fixed32' ? { minimum: 0 } : {}) };
  }
}

function fieldSchema(owner: string, field: FieldSchema): Record<string, unknown> {
  const one = valueSchema(field.value, owner, field.name);
  const comment = fieldComments.get(`${owner}.${field.name}`);
  const shaped = field.mapKey ? { type: 'object', additionalProperties: one } : field.repeated ? { type: 'array', items: one } : one;
  return comment ? (shaped.$ref ? { allOf: [shaped], description: comment } : { ...shaped, description: comment }) : shaped;
}

const schemas: Record<string, unknown> = {};
for (const name of [...used.messages].sort()) {
  if (name.startsWith('google.protobuf.')) continue;
  const schema = messages.get(name) as MessageSchema;
  const comment = messageOrigins.get(name)?.comment;
  schemas[componentName(name)] = {
    type: 'object',
    ...(comment ? { description: comment } : {}),
    properties: Object.fromEntries(schema.fields.map((field) => [field.json, fieldSchema(name, field)])),
  };
}
for (const name of [...used.enums].sort()) {
  const comment = enumOrigins.get(name)?.comment;
  schemas[componentName(name)] = { type: 'string', enum: enums.get(name), ...(comment ? { description: comment } : {}) };
}
schemas.Error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'status', 'message'],
      properties: {
        code: { type: 'integer', description: 'The HTTP status.' },
        status: { type: 'string', description: 'The gRPC status code name, such as INVALID_ARGUMENT.' },
        message: { type: 'string', description: 'What is wrong, naming the field.' },
      },
    },
  },
};

/** The fields a GET's query may set: top-level fields of scalar JSON form not bound by the path. */
function queryParameters(route: HttpRouteSpec, bound: Set<string>): Record<string, unknown>[] {
  if (route.body !== '') return [];
  const schema = messages.get(route.requestType) as MessageSchema;
  return schema.fields
    .filter((field) => !bound.has(field.name) && !field.mapKey && (field.value.kind !== 'message' || ['google.protobuf.Timestamp', 'google.protobuf.Duration'].includes(field.value.name)))
    .map((field) => ({ name: field.name, in: 'query', required: false, schema: fieldSchema(route.requestType, field) }));
}

const paths: Record<string, Record<string, unknown>> = {};
for (const route of routes) {
  const bound = new Set([...route.path.matchAll(/\{([^}=]+)\}/g)].map((m) => m[1] as string));
  const parameters = [
    ...[...bound].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...queryParameters(route, bound),
  ];
  const bodyType = route.body === '*' ? route.requestType : route.body === '' ? undefined : bodyFieldType(route);
  // A body is needed only when the request has fields beyond those the path binds (`:cancel` has none).
  const bodyNeeded = route.body !== '*' || (messages.get(route.requestType) as MessageSchema).fields.some((field) => !bound.has(field.name));
  const bodySchema =
    route.rpc === 'SubmitTask'
      ? { oneOf: [{ $ref: `#/components/schemas/${componentName(route.requestType)}` }, { $ref: '#/components/schemas/SubmitTasksRequest' }], description: 'One task (SubmitTask), or {"tasks": [...]} (SubmitTasks: all or none).' }
      : { $ref: `#/components/schemas/${componentName(bodyType ?? '')}` };
  const ok = route.streaming
    ? {
        description: `Server-Sent Events: one \`data:\` line per ${componentName(route.responseType)} (JSON), then \`event: end\` with \`{}\`, or with \`{"error": …}\` when the stream fails.`,
        content: { 'text/event-stream': { schema: { $ref: `#/components/schemas/${componentName(route.responseType)}` } } },
      }
    : { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${componentName(route.responseType)}` } } } };
  const operation = {
    operationId: route.rpc,
    summary: (routeComments.get(route.rpc) ?? '').split('\n')[0] || route.rpc,
    ...(routeComments.get(route.rpc) ? { description: routeComments.get(route.rpc) } : {}),
    tags: [route.path.split('/')[2]?.split(/[:{]/)[0] ?? 'v1'],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(bodyType ? { requestBody: { required: bodyNeeded, content: { 'application/json': { schema: bodySchema } } } } : {}),
    responses: {
      200: ok,
      default: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
  paths[route.path] = { ...(paths[route.path] ?? {}), [route.verb.toLowerCase()]: operation };
}

function bodyFieldType(route: HttpRouteSpec): string {
  const field = (messages.get(route.requestType) as MessageSchema).fields.find((f) => f.name === route.body);
  if (!field || field.value.kind !== 'message') throw new Error(`${route.rpc}: body "${route.body}" is not a message field of ${route.requestType}`);
  return field.value.name;
}

const document = {
  openapi: '3.0.3',
  info: {
    title: 'Baton HTTP/JSON API',
    version: 'v1',
    description:
      'The TaskQueue service of proto/baton/v1 over HTTP/JSON: the routes are its google.api.http annotations and the bodies are the proto3 JSON mapping of its messages (lowerCamelCase names, or the .proto\'s snake_case ones on input). Unknown fields are refused. HEAD works on every GET route but the streams. Generated from the .proto files at build time; docs/http-api.md explains the rest.',
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }, {}],
  paths,
  components: {
    schemas,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from the coordinator\'s tokens file, when it has one.' } },
  },
};
const openapiSource = [
  '// Generated by scripts/gen-http-api.ts from the .proto files. Do not edit.',
  '/** The OpenAPI 3 document of the HTTP/JSON API, as served at /v1/openapi.json. */',
  `export const OPENAPI_JSON = ${JSON.stringify(JSON.stringify(document))};`,
  '',
].join('\n');

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'api-schema.ts'), schemaSource);
writeFileSync(join(outDir, 'codecs.ts'), codecsSource);
writeFileSync(join(outDir, 'openapi.ts'), openapiSource);
console.log(`http api: ${routes.length} routes, ${used.messages.size} messages, ${used.enums.size} enums -> ${outDir}`);
