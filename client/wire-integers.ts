import { InvalidArgumentError } from '../shared/errors';

/** The range of a protobuf int32, such as `priority`. */
export const INT32 = { name: 'int32', min: -(2 ** 31), max: 2 ** 31 - 1 } as const;
/** The range of a protobuf uint32, such as `max_attempts` and `page_size`. */
export const UINT32 = { name: 'uint32', min: 0, max: 2 ** 32 - 1 } as const;

/** A protobuf integer type: its name and range. */
export interface WireIntegerType {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/**
 * Checks that `value` can be encoded as `type` at all; any other number makes the protobuf
 * writer throw, and grpc-js would report that as an INTERNAL serialization failure that names
 * no field. Limits within the range (at most 1000 attempts, ...) are the coordinator's to check.
 * @throws InvalidArgumentError naming `what`.
 */
export function checkWireInteger(value: number, what: string, type: WireIntegerType): number {
  if (!Number.isInteger(value) || value < type.min || value > type.max) {
    throw new InvalidArgumentError(
      `${what}: expected an integer from ${type.min} to ${type.max} (${type.name} on the wire), got ${value}`,
    );
  }
  return value;
}
