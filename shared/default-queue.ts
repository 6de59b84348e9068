/** The queue of a task submitted without one, and of a worker that names none. */
export const DEFAULT_QUEUE = 'default';
