/**
 * Runs async work one at a time per key: each piece starts once the previous piece for the
 * same key has settled, whether it succeeded or failed. Keys with nothing pending hold nothing.
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work pending; for tests. */
  get pendingKeys(): number {
    return this.tails.size;
  }
}
