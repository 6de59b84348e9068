import type { ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { errorMessage } from '../../shared/errors';

/**
 * A request the server could not decode. grpc-js answers INTERNAL ("our bug") when a
 * deserializer throws, so the deserializer returns this instead and the call's guard answers
 * INVALID_ARGUMENT with the reason.
 */
export class UndecodableMessage {
  constructor(readonly reason: string) {}
}

/** Throws on invalid UTF-8 instead of substituting U+FFFD, so that two different keys can never decode to one. */
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8Strictly(bytes: Uint8Array): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    throw new Error('a string field holds invalid UTF-8');
  }
}

/**
 * The service definition with every request decoded strictly: invalid UTF-8 in any string
 * (checked on the raw bytes, before decoding would hide it) or malformed protobuf makes the
 * request an {@link UndecodableMessage}. ts-proto's `requestDeserialize` passes its argument
 * straight to `Message.decode(input: BinaryReader | Uint8Array)`, which is why handing it a
 * reader with a strict UTF-8 decoder reaches every nested message and map entry too.
 */
export function withStrictDecoding<T extends ServiceDefinition>(service: T): T {
  const strict: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    strict[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(new BinaryReader(bytes, decodeUtf8Strictly) as unknown as Buffer);
        } catch (err: unknown) {
          return new UndecodableMessage(errorMessage(err));
        }
      },
    };
  }
  return strict as T;
}
