import type { Schedule } from '../../../shared/gen/baton/v1/schedule';
import type { BatonClient } from '../../client';
import type { ScheduleOptions } from '../../schedule-spec';
import { EXIT_OK } from '../cli-io';
import type { CliCommand } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { resolveGlobalSettings } from '../global-options';
import { parseCommandArgs } from '../parse-command-args';
import { SCHEDULE_SPEC_OPTIONS, SCHEDULE_SPEC_OPTIONS_HELP, parseScheduleArgs, scheduleSpecSynopsis } from '../schedule-args';
import { printSchedule } from '../schedule-format';

/** What differs between `schedule create` and `schedule update`. */
interface ScheduleWriteSpec {
  readonly verb: 'create' | 'update';
  readonly summary: string;
  readonly call: (client: BatonClient, name: string, options: ScheduleOptions, signal: AbortSignal | undefined) => Promise<Schedule>;
}

/** `schedule create` and `schedule update`: the same command line, a whole spec; prints the schedule. */
function scheduleWriteCommand(spec: ScheduleWriteSpec): CliCommand {
  const name = `schedule ${spec.verb}`;
  const command: CliCommand = {
    name,
    synopsis: scheduleSpecSynopsis(spec.verb),
    summary: spec.summary,
    optionsHelp: SCHEDULE_SPEC_OPTIONS_HELP,
    async run(args, context) {
      const { io } = context;
      const { values, positionals } = parseCommandArgs(name, args, SCHEDULE_SPEC_OPTIONS);
      if (values.help) return printCommandHelp(io, command);
      const settings = resolveGlobalSettings(context.leading, values, io.env);
      const invocation = parseScheduleArgs(name, values, positionals);
      return withClient(settings, async (client) => {
        printSchedule(io, settings, await spec.call(client, invocation.name, invocation.options, io.signal));
        return EXIT_OK;
      });
    },
  };
  return command;
}

/** `baton schedule create NAME ...`: creates a schedule and prints it with its next fire times. */
export const scheduleCreateCommand = scheduleWriteCommand({
  verb: 'create',
  summary: 'create a schedule that submits a task of TYPE on a cron expression or at an interval',
  call: (client, name, options, signal) => client.schedules.create(name, options, { signal }),
});

/** `baton schedule update NAME ...`: replaces a schedule's spec (its history and paused flag stay). */
export const scheduleUpdateCommand = scheduleWriteCommand({
  verb: 'update',
  summary: "replace a schedule's spec (options left out take their defaults); its history and pause stay",
  call: (client, name, options, signal) => client.schedules.update(name, options, { signal }),
});
