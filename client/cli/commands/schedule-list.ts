import type { Schedule } from '../../../shared/gen/baton/v1/schedule';
import { MAX_PAGE_SIZE } from '../../../shared/limits';
import type { BatonClient } from '../../client';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { parseCommandArgs, takePositionals } from '../parse-command-args';
import { formatScheduleJsonLine, formatScheduleTable } from '../schedule-format';

const NAME = 'schedule list';

/** `baton schedule list`: every schedule, by name, as a table or JSON lines. */
export const scheduleListCommand: CliCommand = {
  name: NAME,
  synopsis: NAME,
  summary: 'list every schedule by name: its state, when it fires, its task and next fire',
  optionsHelp: '',
  run: runScheduleList,
};

async function runScheduleList(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, GLOBAL_OPTIONS);
  if (values.help) return printCommandHelp(io, scheduleListCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  takePositionals(NAME, positionals, []);
  return withClient(settings, async (client) => {
    const schedules = await fetchAllSchedules(client, io.signal);
    if (settings.json) io.stdout(schedules.map(formatScheduleJsonLine).join(''));
    else io.stdout(schedules.length === 0 ? 'no schedules\n' : formatScheduleTable(schedules));
    return EXIT_OK;
  });
}

/** Every page: schedules are few (each one is a standing order someone wrote), unlike tasks. */
async function fetchAllSchedules(client: BatonClient, signal: AbortSignal | undefined): Promise<Schedule[]> {
  const schedules: Schedule[] = [];
  let pageToken = '';
  do {
    const page = await client.schedules.list({ pageSize: MAX_PAGE_SIZE, pageToken, signal });
    schedules.push(...page.schedules);
    pageToken = page.schedules.length === 0 ? '' : page.nextPageToken;
  } while (pageToken !== '');
  return schedules;
}
