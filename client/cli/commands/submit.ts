import { toSubmitTaskRequest, type SubmitOptions } from '../../submit-request';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { exitCodeOfFinishedTask, printCommandHelp, printTask, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import {
  asUsageError,
  optionalDate,
  optionalDurationMs,
  parseCommandArgs,
  takePositionals,
  type ParsedCommandArgs,
} from '../parse-command-args';
import { ProgressLine } from '../progress-line';
import { TASK_OPTIONS, TASK_OPTIONS_HELP, parseTaskOptions, readPayloadArgument } from '../task-options';
import { UsageError } from '../usage-error';

const NAME = 'submit';

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  ...TASK_OPTIONS,
  delay: { type: 'string' },
  'run-at': { type: 'string' },
  'idempotency-key': { type: 'string' },
  'fairness-key': { type: 'string' },
  wait: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
} as const;

/**
 * `baton submit TYPE [JSON | @FILE]`: submits a task and prints its id, or with `--wait` waits for it
 * and prints the finished task (exit 0 only if it SUCCEEDED).
 */
export const submitCommand: CliCommand = {
  name: NAME,
  synopsis: 'submit TYPE [JSON | @FILE]',
  summary: 'submit a task; prints its id (the payload is JSON, e.g. \'{"to":"a@b.c"}\', or @FILE to read it from a file)',
  optionsHelp: `${TASK_OPTIONS_HELP}  --delay DURATION             run no earlier than now + DURATION, e.g. 30s, 5m
  --run-at TIME                run no earlier than this ISO 8601 time (not with --delay)
  --idempotency-key K          a second submit with the same key returns the first task
  --fairness-key K             the tenant within the queue: workers take the queue's tasks
                               round robin across keys
  --wait                       wait until the task finishes and print it; exit 1 unless it
                               succeeded (on a terminal, its progress shows meanwhile)
  --wait-timeout DURATION      with --wait, give up after DURATION (default: wait forever)
`,
  run: runSubmit,
};

/** A submit command line, checked and ready to send. */
interface SubmitInvocation {
  readonly type: string;
  readonly payload: unknown;
  readonly options: SubmitOptions;
  readonly wait: boolean;
  readonly waitTimeoutMs: number | undefined;
}

async function runSubmit(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, OPTIONS);
  if (values.help) return printCommandHelp(io, submitCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  const { type, payload, options, wait, waitTimeoutMs } = toInvocation(values, positionals, io.signal);

  return withClient(settings, async (client) => {
    const { task, deduplicated } = await client.submit(type, payload, options);
    if (wait) {
      const progress = ProgressLine.forTerminal(io, settings);
      const finished = await client
        .wait(task.id, { signal: io.signal, timeoutMs: waitTimeoutMs, onUpdate: progress?.show })
        .catch((err: unknown) => {
          progress?.clear();
          // The task exists whatever happened to the wait: say which one, to wait for it again.
          io.stderr(`note: task ${task.id} was submitted; waiting for it failed\n`);
          throw err;
        });
      progress?.clear();
      printTask(io, settings, finished, settings.json ? { deduplicated } : undefined);
      return exitCodeOfFinishedTask(finished);
    }
    if (settings.json) {
      printTask(io, settings, task, { deduplicated });
    } else {
      io.stdout(`${task.id}\n`);
      if (deduplicated) io.stderr('note: idempotency key already used; this is the existing task\n');
    }
    return EXIT_OK;
  });
}

/**
 * Checks what must be right to build the request at all (JSON, durations, times, numbers
 * that fit their wire type, key=value labels: task-options.ts), before connecting. Everything
 * else, such as name rules, limits or `--delay` together with `--run-at`, is the
 * coordinator's to refuse: its INVALID_ARGUMENT message reaches the user with exit 1.
 * @throws UsageError naming the argument or flag.
 */
function toInvocation(
  values: ParsedCommandArgs<typeof OPTIONS>['values'],
  positionals: string[],
  signal: AbortSignal | undefined,
): SubmitInvocation {
  const [type = '', payloadText] = takePositionals(NAME, positionals, ['TYPE', 'JSON'], 1);
  const payload = readPayloadArgument(NAME, payloadText, values['content-type']);
  const waitTimeoutMs = optionalDurationMs(NAME, values['wait-timeout'], '--wait-timeout');
  if (waitTimeoutMs !== undefined && !values.wait) throw new UsageError('--wait-timeout needs --wait', NAME);
  const options: SubmitOptions = {
    ...parseTaskOptions(NAME, values),
    delay: optionalDurationMs(NAME, values.delay, '--delay'),
    runAt: optionalDate(NAME, values['run-at'], '--run-at'),
    idempotencyKey: values['idempotency-key'],
    fairnessKey: values['fairness-key'],
    signal,
  };
  asUsageError(NAME, () => toSubmitTaskRequest(type, payload, options));
  return { type, payload, options, wait: values.wait ?? false, waitTimeoutMs };
}
