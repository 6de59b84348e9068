import { DEFAULT_COORDINATOR_ADDRESS } from '../client';
import type { OptionsConfig } from './parse-command-args';
import { UsageError } from './usage-error';

/** The options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  coordinator: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** The environment variable naming the coordinator when `--coordinator` is not given. */
export const COORDINATOR_ENV = 'BATON_COORDINATOR';

/** The global options as parsed from one part of the command line. */
export interface GlobalFlags {
  readonly coordinator?: string | undefined;
  readonly json?: boolean | undefined;
  readonly help?: boolean | undefined;
}

/** A command line split at the command name. */
export interface SplitCommandLine {
  /** Global options given before the command. */
  readonly leading: GlobalFlags;
  readonly command: string | undefined;
  /** Everything after the command name, for the command's own parser. */
  readonly rest: string[];
}

/**
 * Reads the global options that come before the command name (`baton --json get ID`). The
 * command's own parser reads those that come after it.
 * @throws UsageError for any other option before the command, or `--coordinator` without a value.
 */
export function splitCommandLine(argv: readonly string[]): SplitCommandLine {
  let coordinator: string | undefined;
  let json = false;
  let help = false;
  let index = 0;
  for (let arg = argv[index]; arg !== undefined && arg.startsWith('-'); arg = argv[index]) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--coordinator=')) coordinator = arg.slice('--coordinator='.length);
    else if (arg === '--coordinator') {
      const value = argv[index + 1];
      if (value === undefined || value.startsWith('-')) {
        throw new UsageError("option '--coordinator <host:port>' argument missing");
      }
      coordinator = value;
      index += 1;
    } else {
      throw new UsageError(`unknown option '${arg}' before the command`);
    }
    index += 1;
  }
  return { leading: { coordinator, json, help }, command: argv[index], rest: argv.slice(index + 1) };
}

/** The settings every command that talks to the coordinator needs. */
export interface GlobalSettings {
  readonly address: string;
  readonly json: boolean;
}

/**
 * Merges the global options given before and after the command name (after wins) and
 * resolves the address: `--coordinator`, else `$BATON_COORDINATOR`, else 127.0.0.1:7070.
 * @throws UsageError for an empty `--coordinator`.
 */
export function resolveGlobalSettings(
  leading: GlobalFlags,
  trailing: GlobalFlags,
  env: Readonly<Record<string, string | undefined>>,
): GlobalSettings {
  const flag = trailing.coordinator ?? leading.coordinator;
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--coordinator: expected HOST:PORT, got ""');
  const fromEnv = env[COORDINATOR_ENV]?.trim();
  const address = flag ?? (fromEnv ? fromEnv : DEFAULT_COORDINATOR_ADDRESS);
  return { address, json: Boolean(trailing.json ?? leading.json) };
}
