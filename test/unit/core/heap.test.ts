import { expect } from 'chai';
import { Heap } from '../../../coordinator/core/heap';

describe('Heap.retain', () => {
  it('drops the items it is told to and keeps the others in heap order', () => {
    const heap = new Heap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1009);
    for (const value of values) heap.push(value);
    heap.retain((value) => value % 3 !== 0);
    const popped: number[] = [];
    for (let value = heap.pop(); value !== undefined; value = heap.pop()) popped.push(value);
    expect(popped).to.deep.equal(values.filter((value) => value % 3 !== 0).sort((a, b) => a - b));
  });
});
