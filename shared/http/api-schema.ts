/**
 * The shapes of the HTTP/JSON contract that scripts/gen-http-api.ts writes into
 * shared/gen/http from the .proto files' descriptors: each message's fields as proto3 JSON
 * sees them, and each RPC's `google.api.http` route.
 */

/** Scalar field types, by their descriptor names less the TYPE_ prefix, lowercased. */
export type ScalarType =
  | 'string' | 'bool' | 'bytes'
  | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64'
  | 'double' | 'float';

/** What a value is: a scalar, an enum or a message (by full name, without the leading dot). */
export type ValueType =
  | { readonly kind: 'scalar'; readonly scalar: ScalarType }
  | { readonly kind: 'enum'; readonly name: string }
  | { readonly kind: 'message'; readonly name: string };

export interface FieldSchema {
  /** The name in the .proto (snake_case), which proto3 JSON accepts too. */
  readonly name: string;
  /** The lowerCamelCase name proto3 JSON writes. */
  readonly json: string;
  readonly value: ValueType;
  readonly repeated: boolean;
  /** For a map field: its key type (`value` is then the map's value type). */
  readonly mapKey?: ScalarType;
  /** The real oneof it belongs to (never a proto3 `optional`'s synthetic one). */
  readonly oneof?: string;
}

export interface MessageSchema {
  readonly fields: readonly FieldSchema[];
}

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRouteSpec {
  /** The RPC, as grpc-js names its handler (lowerCamelCase) and as the .proto names it. */
  readonly handler: string;
  readonly rpc: string;
  readonly verb: HttpVerb;
  /** The URL template, such as `/v1/tasks/{id}:cancel`. */
  readonly path: string;
  /** The request field the body fills: `*` (all of it), a field name, or empty (no body). */
  readonly body: string;
  readonly requestType: string;
  readonly responseType: string;
  /** A server-streaming RPC: served as Server-Sent Events. */
  readonly streaming: boolean;
}
