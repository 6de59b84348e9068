import { singleTaskCommand } from './single-task-command';

/** `baton get ID`: prints the task with its payload, result and attempts. */
export const getCommand = singleTaskCommand({
  name: 'get',
  summary: 'show a task with its payload, result and attempts',
  call: (client, id, signal) => client.get(id, { signal }),
});
