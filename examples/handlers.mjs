// Example handlers: `baton worker examples/handlers.mjs`.
// The default export maps a task type to an async function (payload, ctx) => result.

/** A transient error: Baton retries it with backoff. A NonRetryableError would not be retried. */
class FlakyError extends Error {}

export default {
  /** Adds numbers: baton submit add '{"a": 2, "b": 3}' --wait */
  async add({ a, b }) {
    if (typeof a !== 'number' || typeof b !== 'number') {
      const err = new Error('add needs numbers a and b');
      err.name = 'NonRetryableError'; // goes straight to DEAD
      throw err;
    }
    return { sum: a + b };
  },

  /** Echoes its payload after a pause; honours cancellation through ctx.signal. */
  async echo(payload, ctx) {
    const ms = payload?.sleepMs ?? 100;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
    return { echo: payload, attempt: ctx.attempt, taskId: ctx.taskId };
  },

  /** Fails until the given attempt, to show retries: baton submit flaky '{"succeedOn": 3}' --wait */
  async flaky({ succeedOn = 2 } = {}, ctx) {
    if (ctx.attempt < succeedOn) throw new FlakyError(`attempt ${ctx.attempt} fails on purpose`);
    return { succeededOnAttempt: ctx.attempt };
  },
};
