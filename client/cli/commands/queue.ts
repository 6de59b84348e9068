import type { Queue } from '../../../shared/gen/baton/v1/queue';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { commandGroup } from '../command-group';
import { printCommandHelp, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { parseCommandArgs, takePositionals } from '../parse-command-args';
import { formatQueueJsonLine, formatQueueTable, printQueue } from '../queue-format';
import { nameCommand } from './name-command';
import { queueUpdateCommand } from './queue-update';

const queueGetCommand = nameCommand<Queue>({
  name: 'queue get',
  summary: "show a queue's settings (0 shown as unlimited) and its running, queued and scheduled tasks",
  call: (client, name, signal) => client.queues.get(name, { signal }),
  print: printQueue,
});

const queuePauseCommand = nameCommand<Queue>({
  name: 'queue pause',
  summary: 'start no more tasks of a queue (running ones go on); it still accepts submissions',
  call: (client, name, signal) => client.queues.pause(name, { signal }),
  print: printQueue,
});

const queueResumeCommand = nameCommand<Queue>({
  name: 'queue resume',
  summary: 'let a paused queue start tasks again',
  call: (client, name, signal) => client.queues.resume(name, { signal }),
  print: printQueue,
});

const LIST_NAME = 'queue list';

const queueListCommand: CliCommand = {
  name: LIST_NAME,
  synopsis: LIST_NAME,
  summary: 'list the queues with settings or unfinished tasks: state, settings, tasks now',
  optionsHelp: '',
  run: runQueueList,
};

async function runQueueList(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(LIST_NAME, args, GLOBAL_OPTIONS);
  if (values.help) return printCommandHelp(io, queueListCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  takePositionals(LIST_NAME, positionals, []);
  return withClient(settings, async (client) => {
    const queues = await client.queues.list({ signal: io.signal });
    if (settings.json) io.stdout(queues.map(formatQueueJsonLine).join(''));
    else io.stdout(queues.length === 0 ? 'no queues\n' : formatQueueTable(queues));
    return EXIT_OK;
  });
}

/** `baton queue SUBCOMMAND`: flow control across all workers, and retention. */
export const queueCommand = commandGroup({
  name: 'queue',
  summary: "manage queues: concurrency, rate and weight across all workers, retention, pause",
  subcommands: [queueUpdateCommand, queueGetCommand, queueListCommand, queuePauseCommand, queueResumeCommand],
});
