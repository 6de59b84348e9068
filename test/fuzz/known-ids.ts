/**
 * Ids the coordinator handed out during the run (tasks, leases, sessions, worker ids), so
 * that generated messages can name real objects and not only random strings.
 *
 * Arbitraries cannot know these ids when they generate, so they emit a reference such as
 * `\u0000ref:task:17`, which {@link KnownIds.resolve} turns into the 17th known task id
 * (modulo how many there are) when the message is sent. The generated value, and so the
 * seed's replay, stays independent of what the server answered; the reference text also
 * reads well in a shrunk counterexample.
 */
export type RefKind = 'task' | 'lease' | 'session' | 'worker' | 'token';

const REF_PREFIX = '\u0000ref:';
/** Enough variety to hit old and new ids without letting the test process grow. */
const POOL_LIMIT = 4096;

/**
 * A lease id no coordinator granted, in the lowercase UUID form real ones have (the
 * coordinator refuses other forms outright, which would end a sequence before it tests
 * anything): scope and index make it unique within a run.
 */
export function madeUpLeaseId(scope: number, index: number): string {
  const hex = (value: number, width: number): string => (value >>> 0).toString(16).padStart(width, '0').slice(-width);
  return `fa11ed00-${hex(scope >>> 16, 4)}-4${hex(scope, 3)}-8000-${hex(index, 12)}`;
}

export function isMadeUpLeaseId(id: string): boolean {
  return id.startsWith('fa11ed00-');
}

export function ref(kind: RefKind, index: number): string {
  return `${REF_PREFIX}${kind}:${index}`;
}

/** A bounded ring of ids: the newest replace the oldest. */
class IdRing {
  private readonly ids: string[] = [];
  private next = 0;

  add(id: string): void {
    if (this.ids.length < POOL_LIMIT) this.ids.push(id);
    else this.ids[this.next++ % POOL_LIMIT] = id;
  }

  pick(index: number): string | undefined {
    return this.ids.length === 0 ? undefined : this.ids[index % this.ids.length];
  }
}

export class KnownIds {
  private readonly rings: Record<Exclude<RefKind, 'token'>, IdRing> = {
    task: new IdRing(),
    lease: new IdRing(),
    session: new IdRing(),
    worker: new IdRing(),
  };

  addTask(id: string): void {
    this.rings.task.add(id);
  }

  addLease(id: string): void {
    this.rings.lease.add(id);
  }

  addSession(id: string): void {
    this.rings.session.add(id);
  }

  addWorker(id: string): void {
    this.rings.worker.add(id);
  }

  /** The id a reference stands for; an unresolvable one (nothing known yet) becomes a plausible unknown id. */
  resolve(text: string): string {
    if (!text.startsWith(REF_PREFIX)) return text;
    const [kind, indexText] = text.slice(REF_PREFIX.length).split(':');
    const index = Number(indexText);
    if (kind === 'token') {
      const taskId = this.rings.task.pick(index) ?? '01234567-89ab-7def-8123-456789abcdef';
      return Buffer.from(taskId, 'utf8').toString('base64url');
    }
    const ring = this.rings[kind as Exclude<RefKind, 'token'>];
    // Nothing known yet: a lease id of the right form (the wrong form would be refused before it tests anything).
    return ring?.pick(index) ?? (kind === 'lease' ? madeUpLeaseId(0xffff, index) : `unknown-${kind}-${index}`);
  }

  /**
   * The message with every reference resolved. Generated values are shared with fast-check
   * (it may replay them while shrinking), so nothing is changed in place: a part that holds
   * a reference is copied, a part that holds none is returned as it is (huge lists stay cheap).
   */
  resolveDeep<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.resolve(value);
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i += 1) {
        const item: unknown = value[i];
        const resolved = this.walk(item);
        if (resolved !== item) (copy ??= [...(value as unknown[])])[i] = resolved;
      }
      return copy ?? value;
    }
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.walk(item);
      if (resolved === item) continue;
      copy ??= copyObject(value);
      // Map fields (labels) may hold keys like __proto__: define, never assign.
      Object.defineProperty(copy, key, { value: resolved, enumerable: true, writable: true, configurable: true });
    }
    return copy ?? value;
  }
}

function copyObject(value: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  return copy;
}
