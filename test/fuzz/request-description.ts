/**
 * How a request reads to the server's own schema: decoded, classified (decodes, valid
 * protobuf the generated decoder cannot take, or not the request type at all) and described
 * for reports. The fuzzer decodes leniently; the coordinator also refuses invalid UTF-8.
 */
import { GetStatsRequest } from '../../shared/gen/baton/v1/stats';
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
import { brief, detailClass, hex } from './fuzz-report';
import { statusName, type RpcName } from '../support/raw-grpc-client';
import type { EncodedPart } from './wire-cases';

export function tryDecode<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

export type DecodeClass = 'decodes' | 'int64' | 'nesting' | 'undecodable';

const DECODE_CLASS_WORDS: Record<DecodeClass, string> = {
  decodes: 'a message that decodes',
  int64: 'valid protobuf with an int64 past 2^53 (the generated decoder throws)',
  nesting: "valid protobuf with groups nested past the decoder's recursion limit",
  undecodable: "bytes that do not decode as {rpc}'s request",
};

/**
 * What the server was given, in words, from its own schema's decoder: a message that
 * decodes, valid protobuf the generated decoder cannot take (int64 past 2^53, groups nested
 * past its recursion limit), or bytes that are not the request type at all.
 */
export function classifyRequest(rpc: RpcName, parts: readonly EncodedPart[]): { readonly kind: DecodeClass; readonly words: string } {
  const errors = parts.map((part) => decodeError(rpc, part.bytes)).filter((error) => error !== '');
  const first = errors[0];
  if (first === undefined) return { kind: 'decodes', words: 'a message that decodes' };
  const kind: DecodeClass = /MAX_SAFE_INTEGER/.test(first) ? 'int64' : /recursion/.test(first) ? 'nesting' : 'undecodable';
  const what = DECODE_CLASS_WORDS[kind].replace('{rpc}', rpc);
  return { kind, words: parts.length > 1 ? `a stream carrying ${what}` : what };
}

const REQUEST_DECODERS: Record<RpcName, (bytes: Buffer) => unknown> = {
  SubmitTask: (b) => SubmitTaskRequest.decode(b),
  SubmitTasks: (b) => SubmitTasksRequest.decode(b),
  GetTask: (b) => GetTaskRequest.decode(b),
  WatchTask: (b) => WatchTaskRequest.decode(b),
  CancelTask: (b) => CancelTaskRequest.decode(b),
  ListTasks: (b) => ListTasksRequest.decode(b),
  RetryTask: (b) => RetryTaskRequest.decode(b),
  GetStats: (b) => GetStatsRequest.decode(b),
  KeepAlive: (b) => KeepAliveRequest.decode(b),
  Connect: (b) => ConnectRequest.decode(b),
};

export function describeInput(rpc: RpcName, parts: readonly EncodedPart[]): string {
  return parts
    .map((part, i) => {
      const decodedBy = tryDecode(() => REQUEST_DECODERS[rpc](part.bytes));
      const why = decodedBy === undefined ? `does not decode: ${decodeError(rpc, part.bytes)}` : `decodes as ${brief(decodedBy, 300)}`;
      const made = part.message === undefined ? 'random bytes' : `from ${brief(part.message, 300)}`;
      return `${parts.length > 1 ? `[message ${i + 1}] ` : ''}${hex(part.bytes)} ${made}; ${why}`;
    })
    .join('\n   ');
}

function decodeError(rpc: RpcName, bytes: Buffer): string {
  try {
    REQUEST_DECODERS[rpc](bytes);
    return '';
  } catch (err: unknown) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** grpc-js decodes before any handler runs: a decoding failure is one bug whatever the RPC. */
export function statusSignature(rpc: RpcName, outcome: { code: number; details: string }, given: DecodeClass): string {
  const where = /deserializ/i.test(outcome.details) ? 'any RPC' : rpc;
  return `${where} ${statusName(outcome.code)} "${detailClass(outcome.details)}" for ${given}`;
}
