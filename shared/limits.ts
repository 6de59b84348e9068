/**
 * Limits that both ends of the protocol know: the coordinator enforces them, and the worker
 * and the client stay within them. Defined here once so the two sides cannot drift apart.
 */

/** The most handlers one worker may run at once: `Hello.concurrency` and one `Credit.slots` are checked against it. */
export const MAX_CONCURRENCY = 10_000;

/** `ListTasks` page size when the request sets none. */
export const DEFAULT_PAGE_SIZE = 100;

/** The largest `ListTasks` page size the coordinator accepts. */
export const MAX_PAGE_SIZE = 1000;
