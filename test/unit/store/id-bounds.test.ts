/**
 * uuidv7LowerBound (shared/ids.ts), on which the store's time filters and retention rely: ids
 * of a millisecond sort from its bound up to the next one's.
 */
import { expect } from 'chai';
import { isUuid, uuidv7, uuidv7LowerBound } from '../../../shared/ids';

/** The millisecond a UUIDv7 carries. */
function msOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe('uuidv7LowerBound', () => {
  it('is at or below every id of its millisecond and above every id of an earlier one', () => {
    // uuidv7 never goes back in time, so the test follows it: the milliseconds just after its latest.
    const start = msOf(uuidv7()) + 1;
    for (let ms = start; ms < start + 3; ms += 1) {
      const ids = Array.from({ length: 50 }, () => uuidv7(ms));
      for (const id of ids) {
        expect(msOf(id)).to.equal(ms);
        expect(id >= uuidv7LowerBound(ms), id).to.equal(true);
        expect(id < uuidv7LowerBound(ms + 1), id).to.equal(true);
      }
    }
  });

  it('is the millisecond in hex, then zeros, in the UUID shape', () => {
    const ms = 0x0192_f1a4_3b00; // late 2024
    expect(uuidv7LowerBound(ms)).to.equal('0192f1a4-3b00-0000-0000-000000000000'); // not an id: version and variant are zero
    expect(isUuid(uuidv7LowerBound(ms))).to.equal(true);
    expect(uuidv7LowerBound(0)).to.equal('00000000-0000-0000-0000-000000000000');
    expect(uuidv7LowerBound(2 ** 48 - 1)).to.equal('ffffffff-ffff-0000-0000-000000000000');
  });

  it('orders across a carry into a further hex digit', () => {
    expect(uuidv7LowerBound(0xffff) < uuidv7LowerBound(0x10000)).to.equal(true);
    expect(uuidv7LowerBound(0xfffffffff) < uuidv7LowerBound(0x1000000000)).to.equal(true);
  });

  it('rounds a fraction up, clamps below 0, and is above every UUID past the 48-bit range', () => {
    expect(uuidv7LowerBound(1.5)).to.equal(uuidv7LowerBound(2));
    expect(uuidv7LowerBound(-5)).to.equal(uuidv7LowerBound(0));
    expect(uuidv7LowerBound(Number.NEGATIVE_INFINITY)).to.equal(uuidv7LowerBound(0));
    for (const ms of [2 ** 48, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
      expect('ffffffff-ffff-7fff-bfff-ffffffffffff' < uuidv7LowerBound(ms), String(ms)).to.equal(true);
    }
    expect(() => uuidv7LowerBound(Number.NaN)).to.throw(RangeError);
  });
});

describe('uuidv7 and the clock', () => {
  it('keeps ids in order across a small step back of the clock, and follows a large one', () => {
    const now = msOf(uuidv7()) + 10;
    const before = uuidv7(now);
    const smallStepBack = uuidv7(now - 500);
    expect(smallStepBack > before).to.equal(true);
    expect(msOf(smallStepBack)).to.equal(now);
    const largeStepBack = uuidv7(now - 60_000);
    expect(msOf(largeStepBack)).to.equal(now - 60_000);
    // Back to the present: order resumes from there.
    expect(uuidv7(now + 1) > before).to.equal(true);
  });
});
