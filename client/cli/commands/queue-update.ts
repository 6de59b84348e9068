import type { QueueSettingsUpdate } from '../../queue-update';
import { UINT32 } from '../../wire-integers';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { optionalDurationMs, optionalInteger, parseCommandArgs, takePositionals, type ParsedCommandArgs } from '../parse-command-args';
import { printQueue } from '../queue-format';
import { UsageError } from '../usage-error';

const NAME = 'queue update';

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  weight: { type: 'string' },
  retention: { type: 'string' },
  'dead-retention': { type: 'string' },
} as const;

/** The flags that change a setting, for the message when none is given. */
const SETTING_FLAGS = Object.keys(OPTIONS)
  .filter((key) => !(key in GLOBAL_OPTIONS))
  .map((key) => `--${key}`);

/** `baton queue update NAME --concurrency N ...`: changes the settings given, keeps the others, prints the queue. */
export const queueUpdateCommand: CliCommand = {
  name: NAME,
  synopsis: `${NAME} NAME [--concurrency N] [--rate N/s] [--burst N] [--weight N] [--retention D] [--dead-retention D]`,
  summary: "change a queue's flow-control or retention settings (those given; the others stay)",
  optionsHelp: `  --concurrency N             tasks of the queue running at once across all workers;
                              0 removes the limit
  --rate N[/s|/m|/h]          tasks started per second (or per minute, per hour; a bare N
                              is per second); 0 removes the limit
  --burst N                   tasks that may start at once after the queue was idle;
                              0 means max(1, ceil(rate))
  --weight N                  a worker serving several queues takes tasks from each in
                              proportion to its weight, 1 to 1000
  --retention DURATION        how long succeeded and canceled tasks are kept, e.g. 3d;
                              0 keeps them forever; 'default' puts back the default (7d)
  --dead-retention DURATION   how long dead tasks are kept; 0 forever; 'default' puts back 30d
Settings set here outlive coordinator restarts and override its config file. A queue with
no tasks yet is fine: its settings wait for it. Needs the admin role.
`,
  run: runQueueUpdate,
};

async function runQueueUpdate(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, OPTIONS);
  if (values.help) return printCommandHelp(io, queueUpdateCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  const [name = ''] = takePositionals(NAME, positionals, ['NAME']);
  const update = parseQueueUpdate(values);
  return withClient(settings, async (client) => {
    printQueue(io, settings, await client.queues.update(name, update, { signal: io.signal }));
    return EXIT_OK;
  });
}

/**
 * The settings a `queue update` command line changes: exactly the flags given, so that the
 * update mask names those and no other.
 * @throws UsageError naming the flag; or when no setting is given at all.
 */
export function parseQueueUpdate(values: ParsedCommandArgs<typeof OPTIONS>['values']): QueueSettingsUpdate {
  const update: QueueSettingsUpdate = {
    concurrency: optionalInteger(NAME, values.concurrency, '--concurrency', UINT32.min, UINT32.max),
    rate: optionalRate(values.rate),
    burst: optionalInteger(NAME, values.burst, '--burst', UINT32.min, UINT32.max),
    weight: optionalInteger(NAME, values.weight, '--weight', UINT32.min, UINT32.max),
    retention: optionalRetention(values.retention, '--retention'),
    deadRetention: optionalRetention(values['dead-retention'], '--dead-retention'),
  };
  if (Object.values(update).every((value) => value === undefined)) {
    throw new UsageError(`nothing to change: give at least one of ${SETTING_FLAGS.join(', ')}`, NAME);
  }
  return update;
}

const RATE = /^(\d+(?:\.\d+)?|\.\d+)(?:\/(s|m|h))?$/;
const SECONDS_PER: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/** `10`, `10/s`, `600/m`, `0.5/s` as tasks per second. */
function optionalRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = RATE.exec(value.trim());
  if (!match) throw new UsageError(`--rate: expected tasks per second like 10, 10/s, 600/m or 0.5/s, got '${value}'`, NAME);
  return Number(match[1]) / (SECONDS_PER[match[2] ?? 's'] ?? 1);
}

/** A duration, or `default`: null, which the update sends as "unset" to put the default back. */
function optionalRetention(value: string | undefined, flag: string): number | null | undefined {
  if (value?.trim().toLowerCase() === 'default') return null;
  return optionalDurationMs(NAME, value, flag);
}
