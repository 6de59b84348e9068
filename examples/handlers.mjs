// Example handlers: `baton worker examples/handlers.mjs`.
// The default export maps a task type to an async function (payload, ctx) => result.

/** A transient error: Baton retries it with backoff. A NonRetryableError would not be retried. */
class FlakyError extends Error {}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

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

  /**
   * Counts down a second at a time, reporting its progress on the way (the worker sends the
   * latest report every 250 ms): baton submit countdown '{"seconds": 5}' --wait
   */
  async countdown({ seconds = 5 } = {}, ctx) {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
      const err = new Error('countdown needs whole seconds from 1 to 600');
      err.name = 'NonRetryableError';
      throw err;
    }
    for (let left = seconds; left > 0; left -= 1) {
      ctx.progress((seconds - left) / seconds, `${left}s to go`);
      await sleep(1000, ctx.signal);
    }
    // No final progress(1): the result says it is done, and supersedes any report still waiting.
    return { countedDownFrom: seconds };
  },
};
