import { MAX_TIMER_DELAY_MS } from '../shared/clock';

/**
 * Keeps the process alive until the returned function is called. A worker that runs is a
 * service, like a server that listens: while it waits to reconnect, or for its handlers and
 * acknowledgements on close, it may hold nothing else open, and the clock's timers are
 * unref()'d (shared/clock.ts). Before the clock was injected, the worker's own ref'd timers
 * did this by accident. The interval never does anything; it is a real timer whatever the
 * clock, as it is about the process, not about time.
 */
export function holdProcessOpen(): () => void {
  const handle = setInterval(() => undefined, MAX_TIMER_DELAY_MS);
  return () => clearInterval(handle);
}
