/**
 * One fuzz case for one RPC, in three flavours: (a) a well-typed message, optionally followed
 * by extra fields that are valid protobuf the message type does not expect, (b) such an
 * encoding with byte mutations, (c) pure random bytes. A Connect case carries one to three
 * messages for one stream; a unary case exactly one.
 */
import { GetStatsRequest } from '../../shared/gen/baton/v1/stats';
import fc from 'fast-check';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  RetryTaskRequest,
  SubmitTaskRequest,
  SubmitTasksRequest,
  WatchTaskRequest,
} from '../../shared/gen/baton/v1/task_queue';
import { ConnectRequest, KeepAliveRequest } from '../../shared/gen/baton/v1/worker_service';
import { byteMutations, mutate, type ByteMutation } from './byte-mutations';
import type { KnownIds } from './known-ids';
import {
  cancelTaskRequestArb,
  connectRequestArb,
  getTaskRequestArb,
  keepAliveRequestArb,
  listTasksRequestArb,
  retryTaskRequestArb,
  submitTaskRequestArb,
  submitTasksRequestArb,
  watchTaskRequestArb,
  getStatsRequestArb,
} from './message-arbitraries';
import type { RpcName } from '../support/raw-grpc-client';

export type CaseKind = 'typed' | 'mutated' | 'random';
export const CASE_KINDS: readonly CaseKind[] = ['typed', 'mutated', 'random'];

/** One message of a case, before references are resolved and bytes are made. */
export type CasePart =
  | { readonly kind: 'typed'; readonly message: unknown; readonly trailer: Uint8Array }
  | { readonly kind: 'mutated'; readonly message: unknown; readonly mutations: readonly ByteMutation[] }
  | { readonly kind: 'random'; readonly bytes: Uint8Array };

export interface WireCase {
  readonly rpc: RpcName;
  readonly parts: readonly CasePart[];
}

/** A part as sent: the bytes, and the message they were made from (for reports). */
export interface EncodedPart {
  readonly bytes: Buffer;
  readonly message: unknown;
}

interface Codec {
  readonly arb: fc.Arbitrary<unknown>;
  readonly encode: (message: unknown) => Uint8Array;
  /** Field numbers of this message that hold a Duration or Timestamp (int64 seconds). */
  readonly timeFields: readonly number[];
}

function codec<T>(arb: fc.Arbitrary<T>, fns: { encode(message: T): BinaryWriter }, timeFields: readonly number[] = []): Codec {
  return { arb, encode: (message) => fns.encode(message as T).finish(), timeFields };
}

const CODECS: Record<RpcName, Codec> = {
  SubmitTask: codec(submitTaskRequestArb, SubmitTaskRequest, [6, 7, 10]),
  SubmitTasks: codec(submitTasksRequestArb, SubmitTasksRequest),
  GetTask: codec(getTaskRequestArb, GetTaskRequest),
  WatchTask: codec(watchTaskRequestArb, WatchTaskRequest),
  CancelTask: codec(cancelTaskRequestArb, CancelTaskRequest),
  ListTasks: codec(listTasksRequestArb, ListTasksRequest),
  RetryTask: codec(retryTaskRequestArb, RetryTaskRequest),
  GetStats: codec(getStatsRequestArb, GetStatsRequest),
  KeepAlive: codec(keepAliveRequestArb, KeepAliveRequest),
  Connect: codec(connectRequestArb, ConnectRequest),
};

/**
 * Valid protobuf the schema does not predict: unknown fields of every wire type (a decoder
 * must skip them), deeply nested groups, and int64 seconds past 2^53 in a time field (legal
 * for the schema, not representable as a JS number).
 */
function trailerArb(timeFields: readonly number[]): fc.Arbitrary<Uint8Array> {
  const unknownField = fc.oneof(
    fc.record({ field: fc.integer({ min: 100, max: 536_870_911 }), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }).map(({ field, value }) =>
      new BinaryWriter().tag(field, WireType.Varint).uint64(value).finish(),
    ),
    fc.record({ field: fc.integer({ min: 100, max: 1000 }), value: fc.uint8Array({ maxLength: 32 }) }).map(({ field, value }) =>
      new BinaryWriter().tag(field, WireType.LengthDelimited).bytes(value).finish(),
    ),
    fc.integer({ min: 100, max: 1000 }).map((field) => new BinaryWriter().tag(field, WireType.Bit32).fixed32(7).tag(field, WireType.Bit64).fixed64(7).finish()),
    fc.integer({ min: 1, max: 1000 }).map(nestedGroups),
  );
  const options: Array<fc.Arbitrary<Uint8Array>> = [fc.constant(new Uint8Array(0)), unknownField];
  if (timeFields.length > 0) options.push(fc.constantFrom(...timeFields).map(hugeSecondsField));
  return fc.oneof({ weight: 6, arbitrary: options[0]! }, ...options.slice(1).map((arbitrary) => ({ weight: 1, arbitrary })));
}

function nestedGroups(depth: number): Uint8Array {
  const writer = new BinaryWriter();
  for (let i = 0; i < depth; i += 1) writer.tag(99, WireType.StartGroup);
  for (let i = 0; i < depth; i += 1) writer.tag(99, WireType.EndGroup);
  return writer.finish();
}

function hugeSecondsField(field: number): Uint8Array {
  const time = new BinaryWriter().tag(1, WireType.Varint).int64(2n ** 62n).finish();
  return new BinaryWriter().tag(field, WireType.LengthDelimited).bytes(time).finish();
}

const RANDOM_EDGE_BYTES = [
  new Uint8Array(0),
  Uint8Array.from([0x0a]),
  Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  Uint8Array.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
  Uint8Array.from([0x0b]),
  Uint8Array.from([0x0c]),
  Uint8Array.from([0x07]),
  Uint8Array.from([0x00]),
];

const randomBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  { weight: 1, arbitrary: fc.constantFrom(...RANDOM_EDGE_BYTES) },
);

function partArb(rpc: RpcName, kind: CaseKind): fc.Arbitrary<CasePart> {
  const { arb, timeFields } = CODECS[rpc];
  switch (kind) {
    case 'typed':
      return fc.record({ kind: fc.constant('typed' as const), message: arb, trailer: trailerArb(timeFields) });
    case 'mutated':
      return fc.record({ kind: fc.constant('mutated' as const), message: arb, mutations: byteMutations });
    case 'random':
      return fc.record({ kind: fc.constant('random' as const), bytes: randomBytesArb });
  }
}

/** Cases of one kind for one RPC. */
export function wireCaseArb(rpc: RpcName, kind: CaseKind): fc.Arbitrary<WireCase> {
  const part = partArb(rpc, kind);
  const parts = rpc === 'Connect' ? fc.array(part, { minLength: 1, maxLength: 3 }) : part.map((one) => [one]);
  return parts.map((list) => ({ rpc, parts: list }));
}

/** Resolves references and makes the bytes of each part. */
export function encodeCase(wireCase: WireCase, ids: KnownIds): EncodedPart[] {
  const { encode } = CODECS[wireCase.rpc];
  return wireCase.parts.map((part) => {
    if (part.kind === 'random') return { bytes: Buffer.from(part.bytes), message: undefined };
    const message = ids.resolveDeep(part.message);
    const encoded = encode(message);
    if (part.kind === 'typed') return { bytes: Buffer.concat([encoded, part.trailer]), message };
    return { bytes: mutate(encoded, part.mutations), message };
  });
}
