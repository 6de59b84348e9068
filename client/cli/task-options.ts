import { readFileSync } from 'node:fs';
import { errorMessage } from '../../shared/errors';
import type { RetryOptions } from '../submit-request';
import type { TaskTemplateOptions } from '../task-template';
import { INT32, UINT32 } from '../wire-integers';
import {
  optionalDurationMs,
  optionalInteger,
  optionalNumber,
  parseJsonArgument,
  parseLabels,
  type OptionsConfig,
} from './parse-command-args';
import { UsageError } from './usage-error';

/**
 * The flags of a task that `submit` and `schedule create`/`update` share: everything about a
 * submission but when it runs and its idempotency key.
 */
export const TASK_OPTIONS = {
  queue: { type: 'string' },
  priority: { type: 'string' },
  'max-attempts': { type: 'string' },
  timeout: { type: 'string' },
  label: { type: 'string', multiple: true },
  'content-type': { type: 'string' },
  'retry-initial-backoff': { type: 'string' },
  'retry-multiplier': { type: 'string' },
  'retry-max-backoff': { type: 'string' },
  'retry-jitter': { type: 'string' },
  'max-infra-failures': { type: 'string' },
} as const satisfies OptionsConfig;

/** The help lines of {@link TASK_OPTIONS}, aligned with those of the commands that use them. */
export const TASK_OPTIONS_HELP = `  --queue Q                    queue name (default: the coordinator's "default")
  --priority N                 higher runs first within the queue (default 0)
  --max-attempts N             total attempts including the first (default: the coordinator's)
  --timeout DURATION           execution timeout of each attempt (default: the queue's, else none)
  --label KEY=VALUE            a label; repeat for more
  --content-type TYPE          the payload's MIME type (default application/json); for a type
                               other than JSON (or +json) the argument or @FILE is sent as is
  --retry-initial-backoff D    delay before the second attempt (default: the coordinator's)
  --retry-multiplier X         growth of the delay per further attempt, 1 to 100
  --retry-max-backoff D        cap of the delay
  --retry-jitter F             fraction of each delay that is randomised, 0 to 1
  --max-infra-failures N       attempts lost to a dead worker or a timeout stop counting against
                               --max-attempts; the task goes dead after more than N of them
`;

/** The parsed values of {@link TASK_OPTIONS}, as node:util parseArgs returns them. */
export interface TaskOptionValues {
  readonly queue?: string | undefined;
  readonly priority?: string | undefined;
  readonly 'max-attempts'?: string | undefined;
  readonly timeout?: string | undefined;
  readonly label?: string[] | undefined;
  readonly 'content-type'?: string | undefined;
  readonly 'retry-initial-backoff'?: string | undefined;
  readonly 'retry-multiplier'?: string | undefined;
  readonly 'retry-max-backoff'?: string | undefined;
  readonly 'retry-jitter'?: string | undefined;
  readonly 'max-infra-failures'?: string | undefined;
}

/**
 * The task options of a command line, checked as far as they must be to be encoded at all:
 * durations, numbers within their wire type, key=value labels. Ranges are the coordinator's.
 * @throws UsageError naming the flag.
 */
export function parseTaskOptions(command: string, values: TaskOptionValues): TaskTemplateOptions {
  return {
    queue: values.queue,
    priority: optionalInteger(command, values.priority, '--priority', INT32.min, INT32.max),
    // Only the wire type's range: the coordinator's own limit (1000) is its to enforce.
    maxAttempts: optionalInteger(command, values['max-attempts'], '--max-attempts', UINT32.min, UINT32.max),
    timeout: optionalDurationMs(command, values.timeout, '--timeout'),
    labels: parseLabels(command, values.label),
    contentType: values['content-type'],
    retry: parseRetryOptions(command, values),
  };
}

/** The retry flags as RetryOptions; undefined when none is given, so the defaults apply. */
function parseRetryOptions(command: string, values: TaskOptionValues): RetryOptions | undefined {
  const retry: RetryOptions = {
    initialBackoff: optionalDurationMs(command, values['retry-initial-backoff'], '--retry-initial-backoff'),
    multiplier: optionalNumber(command, values['retry-multiplier'], '--retry-multiplier'),
    maxBackoff: optionalDurationMs(command, values['retry-max-backoff'], '--retry-max-backoff'),
    jitter: optionalNumber(command, values['retry-jitter'], '--retry-jitter'),
    maxInfrastructureFailures: optionalInteger(command, values['max-infra-failures'], '--max-infra-failures', UINT32.min, UINT32.max),
  };
  return Object.values(retry).some((value) => value !== undefined) ? retry : undefined;
}

/**
 * The payload argument (`JSON` or `@FILE`) as the SDK takes it: parsed JSON for a JSON content
 * type (the default, `application/json` or any `+json` type), else the bytes as they are.
 * `@path` reads a file, since shell arguments are limited to ~128 KiB.
 * @throws UsageError for JSON that does not parse (quoting it) or a file that cannot be read.
 */
export function readPayloadArgument(command: string, argument: string | undefined, contentType: string | undefined): unknown {
  if (argument === undefined) return undefined;
  const json = contentType === undefined || isJsonContentType(contentType);
  if (!argument.startsWith('@')) return json ? parseJsonArgument(command, argument) : Buffer.from(argument, 'utf8');
  const path = argument.slice(1);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err: unknown) {
    throw new UsageError(`cannot read the payload file ${path}: ${errorMessage(err)}`, command, { cause: err });
  }
  return json ? parseJsonArgument(command, bytes.toString('utf8')) : bytes;
}

/** `application/json`, `application/vnd.x+json`, `application/json; charset=utf-8`. */
function isJsonContentType(contentType: string): boolean {
  const [essence = ''] = contentType.toLowerCase().split(';');
  const type = essence.trim();
  return type === 'application/json' || type.endsWith('+json');
}
