/** A binary min-heap under `before(a, b)`: true when a should come out first. */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  /** Keeps only the items for which `keep` is true, in O(n). */
  retain(keep: (item: T) => boolean): void {
    let kept = 0;
    for (const item of this.items) if (keep(item)) this.items[kept++] = item;
    this.items.length = kept;
    for (let index = (kept >> 1) - 1; index >= 0; index -= 1) this.siftDown(index);
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const items = this.items;
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(items[child] as T, items[parent] as T)) break;
      [items[child], items[parent]] = [items[parent] as T, items[child] as T];
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const items = this.items;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let first = parent;
      if (left < items.length && this.before(items[left] as T, items[first] as T)) first = left;
      if (right < items.length && this.before(items[right] as T, items[first] as T)) first = right;
      if (first === parent) return;
      [items[first], items[parent]] = [items[parent] as T, items[first] as T];
      parent = first;
    }
  }
}
