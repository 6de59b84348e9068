import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDurationMs } from '../../shared/duration';
import { BatonError, errorMessage } from '../../shared/errors';
import { UsageError } from './usage-error';

/** The `options` part of a node:util parseArgs config. */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: typed `values` and the `positionals`. */
export type ParsedCommandArgs<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
>;

/**
 * Parses a command's arguments strictly: an unknown option, a missing option value or a
 * string option given a boolean is a UsageError that names the command.
 */
export function parseCommandArgs<T extends OptionsConfig>(
  command: string,
  args: string[],
  options: T,
): ParsedCommandArgs<T> {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, strict: true as const, allowPositionals: true as const });
  } catch (err: unknown) {
    // node:util parseArgs reports every kind of bad input as a TypeError with an ERR_PARSE_ARGS_* code.
    if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${command}: ${err.message}`, command, { cause: err });
    }
    throw err;
  }
}

/** A value that starts with a dash but is a number or a duration (`-1`, `-5m`, `-0.5/s`), not an option. */
const NEGATIVE_VALUE = /^-\d/;

/**
 * `--priority -1` as `--priority=-1`: parseArgs takes any value starting with a dash for an
 * option and refuses it as ambiguous, though a negative number can only be a value. The
 * command's checks then say what is wrong with it, if anything.
 */
function joinNegativeValues(args: readonly string[], options: OptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string' && next !== undefined && NEGATIVE_VALUE.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Checks the number of positional arguments and returns them.
 * @param names what each positional is called in messages, e.g. `['ID']`; trailing ones
 *   after `required` are optional.
 */
export function takePositionals(
  command: string,
  positionals: string[],
  names: readonly string[],
  required = names.length,
): string[] {
  if (positionals.length < required) {
    throw new UsageError(`${command}: missing ${names[positionals.length] ?? 'argument'}`, command);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`${command}: unexpected argument '${positionals[names.length] ?? ''}'`, command);
  }
  return positionals;
}

/** Runs `fn`, turning the BatonErrors it throws (bad values) into UsageErrors of `command`. */
export function asUsageError<T>(command: string, fn: () => T): T {
  try {
    return fn();
  } catch (err: unknown) {
    if (err instanceof BatonError) throw new UsageError(err.message, command, { cause: err });
    throw err;
  }
}

/**
 * An optional integer flag such as `--priority 5`. The range is what the flag can take at all
 * (its wire type, or what the CLI itself needs); limits the coordinator sets are left to it.
 * @param min the smallest value; default the least int32.
 * @param max the largest value; default the greatest int32.
 */
export function optionalInteger(
  command: string,
  value: string | undefined,
  flag: string,
  min = -(2 ** 31),
  max = 2 ** 31 - 1,
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got '${value}'`, command);
  }
  return parsed;
}

/** An optional decimal number flag such as `--retry-jitter 0.2`; the range is the coordinator's to check. */
export function optionalNumber(command: string, value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) throw new UsageError(`${flag}: expected a number, got '${value}'`, command);
  return parsed;
}

/** An optional duration flag such as `--delay 5s`, in milliseconds. */
export function optionalDurationMs(command: string, value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  return asUsageError(command, () => parseDurationMs(value, flag));
}

/** An optional ISO 8601 time flag such as `--run-at 2030-01-01T09:00:00Z`. */
export function optionalDate(command: string, value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (value.trim() === '' || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag}: expected an ISO 8601 time like 2030-01-01T09:00:00Z, got '${value}'`, command);
  }
  return date;
}

/** Repeated `--label key=value` flags as a map; a later key wins. */
export function parseLabels(command: string, values: readonly string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of values ?? []) {
    const separator = entry.indexOf('=');
    if (separator <= 0) throw new UsageError(`--label: expected key=value, got '${entry}'`, command);
    labels[entry.slice(0, separator)] = entry.slice(separator + 1);
  }
  return labels;
}

const SHOWN_JSON_CHARS = 60;

/**
 * The JSON payload argument, parsed.
 * @throws UsageError `invalid JSON payload: ...` quoting what arrived, since a shell that ate
 *   the quotes is the usual cause.
 */
export function parseJsonArgument(command: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    const shown = text.length > SHOWN_JSON_CHARS ? `${text.slice(0, SHOWN_JSON_CHARS)}...` : text;
    throw new UsageError(
      `invalid JSON payload: ${errorMessage(err)}; got '${shown}' (quote it for the shell, e.g. '{"to":"a@b.c"}')`,
      command,
      { cause: err },
    );
  }
}
