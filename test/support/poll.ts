import { setTimeout as delay } from 'node:timers/promises';

/**
 * Reads `read()` every `intervalMs` until `done` accepts what it returned, and returns that;
 * rejects naming `what` (and the last value read) once `timeoutMs` has passed.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last read: ${JSON.stringify(value)}`);
    await delay(intervalMs);
  }
}

/** What `promise` settled with: its value, or its rejection reason. */
export function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; reason: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (reason: unknown) => ({ ok: false as const, reason }),
  );
}
