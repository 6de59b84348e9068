import { CatchUpPolicy } from '../../shared/gen/baton/v1/schedule';
import { CATCH_UP_POLICY_NAMES, OVERLAP_POLICY_NAMES, parseCatchUpPolicy, parseOverlapPolicy } from '../schedule-policies';
import { toScheduleSpec, type CronCadence, type EveryCadence, type ScheduleOptions } from '../schedule-spec';
import { UINT32 } from '../wire-integers';
import { GLOBAL_OPTIONS } from './global-options';
import {
  asUsageError,
  optionalDate,
  optionalDurationMs,
  optionalInteger,
  takePositionals,
  type ParsedCommandArgs,
} from './parse-command-args';
import { TASK_OPTIONS, TASK_OPTIONS_HELP, parseTaskOptions, readPayloadArgument } from './task-options';
import { UsageError } from './usage-error';

/** The options of `schedule create` and `schedule update`: the schedule's, then the task's. */
export const SCHEDULE_SPEC_OPTIONS = {
  ...GLOBAL_OPTIONS,
  cron: { type: 'string' },
  every: { type: 'string' },
  tz: { type: 'string' },
  overlap: { type: 'string' },
  'catch-up': { type: 'string' },
  'catch-up-limit': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  jitter: { type: 'string' },
  ...TASK_OPTIONS,
  // submit's, known here only to be refused with a reason rather than as unknown options.
  delay: { type: 'string' },
  'run-at': { type: 'string' },
  'idempotency-key': { type: 'string' },
} as const;

/** The command line shape after `baton`, for the help. */
export function scheduleSpecSynopsis(verb: string): string {
  return `schedule ${verb} NAME (--cron EXPR | --every DURATION) [options] TYPE [JSON | @FILE]`;
}

/** The help of {@link SCHEDULE_SPEC_OPTIONS}. */
export const SCHEDULE_SPEC_OPTIONS_HELP = `  --cron EXPR                  fire on a cron expression (quote it): 5 fields, minute hour
                               day-of-month month day-of-week, or 6 with seconds first
  --every DURATION             fire every DURATION (e.g. 15m, 1h), counted from --start or
                               the creation; not with --cron
  --tz ZONE                    IANA zone of the --cron times, e.g. Europe/Berlin (default UTC)
  --overlap POLICY             while the previous fire's task is unfinished:
                               ${OVERLAP_POLICY_NAMES.join(', ')}; skip (the default) drops the fire,
                               buffer-one keeps the latest for when that task finishes
  --catch-up POLICY            fire times missed while the coordinator was down:
                               ${CATCH_UP_POLICY_NAMES.join(', ')}; one (the default) fires once for them all
  --catch-up-limit N           with --catch-up all, at most N missed fires (default 100)
  --start TIME                 no fire before this ISO 8601 time
  --end TIME                   no fire after this ISO 8601 time
  --jitter DURATION            each task runs up to DURATION after its fire time, at random
Each fire submits TYPE with the JSON payload (or @FILE) and these task options:
${TASK_OPTIONS_HELP}(--delay, --run-at and --idempotency-key are not for a schedule: a fire's task runs at
its fire time, and its key is derived from the schedule's name and the fire time.)
`;

/** Submit flags a schedule refuses, and why. */
const REFUSED: ReadonlyArray<readonly ['delay' | 'run-at' | 'idempotency-key', string]> = [
  ['delay', "each fire's task runs at its fire time (--jitter spreads them out)"],
  ['run-at', "each fire's task runs at its fire time (--start sets when firing begins)"],
  ['idempotency-key', "each fire's key is derived from the schedule's name and the fire time"],
];

/** A `schedule create` or `update` command line, checked and ready to send. */
export interface ScheduleInvocation {
  readonly name: string;
  readonly options: ScheduleOptions;
}

/** The parsed values of {@link SCHEDULE_SPEC_OPTIONS}. */
type ScheduleValues = ParsedCommandArgs<typeof SCHEDULE_SPEC_OPTIONS>['values'];

/**
 * Checks a `schedule create` or `update` command line and builds what the SDK takes. Refused
 * here, before connecting: what cannot be encoded (as for submit), both or neither of --cron
 * and --every, an unknown policy, --catch-up-limit without --catch-up all, --start after
 * --end, and submit's --delay, --run-at and --idempotency-key. The rest (cron syntax, zone,
 * ranges) is the coordinator's to refuse, naming the field.
 * @param command `schedule create` or `schedule update`, for messages.
 * @throws UsageError naming the argument or flag.
 */
export function parseScheduleArgs(command: string, values: ScheduleValues, positionals: string[]): ScheduleInvocation {
  const [name = '', type = '', payloadText] = takePositionals(command, positionals, ['NAME', 'TYPE', 'JSON'], 2);
  for (const [flag, reason] of REFUSED) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag}: not for a schedule: ${reason}`, command);
  }
  const options: ScheduleOptions = {
    ...parseCadence(command, values),
    ...parsePolicies(command, values),
    ...parseWindow(command, values),
    jitter: optionalDurationMs(command, values.jitter, '--jitter'),
    task: { type, payload: readPayloadArgument(command, payloadText, values['content-type']), ...parseTaskOptions(command, values) },
  };
  // Anything else that cannot be encoded (a payload JSON cannot take) is a usage error too.
  asUsageError(command, () => toScheduleSpec(name, options));
  return { name, options };
}

function parseCadence(command: string, values: ScheduleValues): (CronCadence | EveryCadence) & { timezone?: string | undefined } {
  const { cron, every, tz } = values;
  if (cron !== undefined && every !== undefined) throw new UsageError('--cron and --every: give one, not both', command);
  if (every !== undefined) {
    // A zone says how to read cron times; an interval has none to read.
    if (tz !== undefined) throw new UsageError('--tz is for --cron, not --every', command);
    return { every: optionalDurationMs(command, every, '--every') ?? 0 };
  }
  if (cron === undefined) throw new UsageError('missing --cron EXPR or --every DURATION', command);
  return { cron, timezone: tz };
}

function parsePolicies(command: string, values: ScheduleValues): Pick<ScheduleOptions, 'overlap' | 'catchUp' | 'catchUpLimit'> {
  const { overlap: overlapName, 'catch-up': catchUpName } = values;
  const overlap = overlapName === undefined ? undefined : asUsageError(command, () => parseOverlapPolicy(overlapName, '--overlap'));
  const catchUp = catchUpName === undefined ? undefined : asUsageError(command, () => parseCatchUpPolicy(catchUpName, '--catch-up'));
  const catchUpLimit = optionalInteger(command, values['catch-up-limit'], '--catch-up-limit', UINT32.min, UINT32.max);
  // The limit means nothing under another policy: a command line with it is a mistake.
  if (catchUpLimit !== undefined && catchUp !== CatchUpPolicy.CATCH_UP_POLICY_ALL) {
    throw new UsageError('--catch-up-limit needs --catch-up all', command);
  }
  return { overlap, catchUp, catchUpLimit };
}

function parseWindow(command: string, values: ScheduleValues): Pick<ScheduleOptions, 'startTime' | 'endTime'> {
  const startTime = optionalDate(command, values.start, '--start');
  const endTime = optionalDate(command, values.end, '--end');
  if (startTime && endTime && startTime.getTime() > endTime.getTime()) {
    throw new UsageError(`--start (${startTime.toISOString()}) is after --end (${endTime.toISOString()})`, command);
  }
  return { startTime, endTime };
}
