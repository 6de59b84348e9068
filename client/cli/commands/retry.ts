import { singleTaskCommand } from './single-task-command';

/** `baton retry ID`: requeues a DEAD or CANCELED task and prints it. */
export const retryCommand = singleTaskCommand({
  name: 'retry',
  summary: 'requeue a dead or canceled task with a fresh attempt budget',
  call: (client, id, signal) => client.retry(id, { signal }),
});
