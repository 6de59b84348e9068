import { expect } from 'chai';
import fc from 'fast-check';
import { smallest } from '../../../coordinator/core/smallest';

describe('smallest', () => {
  it('picks the same n items as sorting all of them and taking the first n', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 })), fc.integer({ min: -1, max: 40 }), (items, n) => {
        const picked = smallest(items, n, (a, b) => a < b).sort();
        expect(picked).to.deep.equal([...items].sort().slice(0, Math.max(0, n)));
      }),
    );
  });

  it('keeps at most n items while it looks at many', () => {
    let compared = 0;
    const picked = smallest(
      Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_000),
      3,
      (a, b) => {
        compared += 1;
        return a < b;
      },
    );
    expect(picked.sort((a, b) => a - b)).to.deep.equal([0, 1, 2]);
    expect(compared).to.be.below(3 * 100_000, 'about one comparison per item, not a sort');
  });
});
