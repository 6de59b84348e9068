import { singleTaskCommand } from './single-task-command';

/** `baton cancel ID`: cancels a task that has not finished and prints it. */
export const cancelCommand = singleTaskCommand({
  name: 'cancel',
  summary: 'cancel a task that has not finished (a running attempt is told to stop)',
  call: (client, id, signal) => client.cancel(id, { signal }),
});
