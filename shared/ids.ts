import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * Random bytes are drawn 4 KiB at a time: a call into the CSPRNG per id cost a twentieth of
 * the coordinator's time under load, a slice of a pool costs next to nothing.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomSlice(length: number): Buffer {
  if (poolOffset + length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return slice;
}

/**
 * How far back a clock may step and ids still keep their order (they stay in the last
 * millisecond seen). Past it, ids follow the clock: an id carries its creation time, which
 * retention and the time filters of listings read, and one clock reading far ahead (or a
 * caller's time from another era) must not date every later id.
 */
const MAX_BACKWARD_STEP_MS = 1000;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids
 * generated in the same millisecond in order, then random bits. Ids sort by creation time as
 * strings, which the store's listing relies on.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs || lastMs - nowMs > MAX_BACKWARD_STEP_MS) {
    lastMs = nowMs;
    sequence = randomSlice(2).readUInt16BE(0) & 0x1ff; // start low so the counter rarely overflows
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1; // borrow the next millisecond rather than lose ordering
      sequence = 0;
    }
  }
  const bytes = Buffer.from(randomSlice(16)); // a copy: the pool is overwritten later
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The largest millisecond a UUIDv7's 48-bit timestamp holds (in the year 10889). */
const MAX_UUIDV7_MS = 2 ** 48 - 1;
/** Sorts above every lowercase UUID text ('g' comes after every hex digit). */
const ABOVE_EVERY_UUID = 'g';

/**
 * The smallest UUIDv7 text of millisecond `ms`: its timestamp, then zeros
 * (`0192f1a4-3b00-0000-0000-000000000000`). Every id {@link uuidv7} makes at `ms` or later
 * sorts at or above it and every id of an earlier millisecond below it, so that
 * `id >= uuidv7LowerBound(from) AND id < uuidv7LowerBound(before)` selects the ids made in
 * [from, before) through an index on the id. It is a bound, not an id: its version and
 * variant bits are zero.
 *
 * A fractional `ms` is rounded up (an id of millisecond 1 was made before 1.5). Below 0 it is
 * the smallest UUID; past the 48-bit range, a text above every UUID.
 * @throws RangeError when `ms` is NaN.
 */
export function uuidv7LowerBound(ms: number): string {
  if (Number.isNaN(ms)) throw new RangeError('uuidv7LowerBound: ms is NaN');
  const whole = Math.max(0, Math.ceil(ms));
  if (whole > MAX_UUIDV7_MS) return ABOVE_EVERY_UUID;
  const hex = whole.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
