import { Heap } from './heap';

/**
 * The `n` items that come first under `before` (true when a comes before b), in no particular
 * order. O(m log n) for m items and O(n) memory: a heap holds the n best so far, its root the
 * worst of them, so that picking a few among many never sorts them all.
 */
export function smallest<T>(items: Iterable<T>, n: number, before: (a: T, b: T) => boolean): T[] {
  if (n <= 0) return [];
  const kept = new Heap<T>((a, b) => before(b, a)); // the root is the one to drop first
  for (const item of items) {
    if (kept.size < n) {
      kept.push(item);
      continue;
    }
    const worst = kept.peek();
    if (worst !== undefined && before(item, worst)) {
      kept.pop();
      kept.push(item);
    }
  }
  const out: T[] = [];
  for (let item = kept.pop(); item !== undefined; item = kept.pop()) out.push(item);
  return out;
}
