import fc from 'fast-check';

/**
 * One edit of an encoded message. Positions are plain numbers taken modulo the length at
 * the time of the edit, so a mutation stays meaningful whatever message it is applied to
 * (the messages are built at send time, from ids known only then).
 */
export type ByteMutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly keep: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'splice'; readonly at: number; readonly remove: number; readonly bytes: Uint8Array }
  | { readonly op: 'repeat'; readonly from: number; readonly length: number; readonly times: number };

/** Bytes that make protobuf decoders take unusual paths: varint continuation, max tags, wire types 3-7. */
const INTERESTING_BYTES = [0x00, 0x01, 0x07, 0x08, 0x0a, 0x12, 0x7f, 0x80, 0xff, 0xfe, 0x0f, 0x0b, 0x0c, 0x0d, 0x0e];

const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...INTERESTING_BYTES));
const position = fc.nat({ max: 0xffff });
const smallBytes = fc.uint8Array({ minLength: 1, maxLength: 16 }).chain((random) =>
  fc.constantFrom(random, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), Uint8Array.from([0x80])),
);

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: position, value: byte }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), keep: position }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: smallBytes }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('splice' as const), at: position, remove: fc.nat({ max: 32 }), bytes: fc.uint8Array({ maxLength: 16 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('repeat' as const),
      from: position,
      length: fc.integer({ min: 1, max: 64 }),
      times: fc.integer({ min: 1, max: 64 }),
    }),
  },
);

/** One to four edits: a single edit already reaches most decoder branches. */
export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(byteMutation, { minLength: 1, maxLength: 4 });

/** Applies the edits in order to a copy of `input`. */
export function mutate(input: Uint8Array, mutations: readonly ByteMutation[]): Buffer {
  let bytes: Buffer = Buffer.from(input);
  for (const mutation of mutations) bytes = applyOne(bytes, mutation);
  return bytes;
}

function applyOne(bytes: Buffer, mutation: ByteMutation): Buffer {
  const n = bytes.length;
  switch (mutation.op) {
    case 'flip': {
      if (n === 0) return bytes;
      const copy = Buffer.from(bytes);
      const at = mutation.at % n;
      copy[at] = (copy[at] ?? 0) ^ (1 << mutation.bit);
      return copy;
    }
    case 'set': {
      if (n === 0) return Buffer.from([mutation.value]);
      const copy = Buffer.from(bytes);
      copy[mutation.at % n] = mutation.value;
      return copy;
    }
    case 'truncate':
      return n === 0 ? bytes : bytes.subarray(0, mutation.keep % n);
    case 'insert': {
      const at = mutation.at % (n + 1);
      return Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]);
    }
    case 'splice': {
      const at = mutation.at % (n + 1);
      return Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(Math.min(n, at + mutation.remove))]);
    }
    case 'repeat': {
      if (n === 0) return bytes;
      const from = mutation.from % n;
      const chunk = bytes.subarray(from, Math.min(n, from + mutation.length));
      const copies: Buffer[] = [];
      for (let i = 0; i < mutation.times; i += 1) copies.push(chunk);
      return Buffer.concat([bytes.subarray(0, from), ...copies, bytes.subarray(from)]);
    }
  }
}
