import {
  connectionSecurityFromFlagsAndEnv,
  type ConnectionSecuritySources,
} from '../../shared/connection-security-settings';
import { DEFAULT_COORDINATOR_ADDRESS } from '../client';
import type { OptionsConfig } from './parse-command-args';
import { UsageError } from './usage-error';

/** The options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  coordinator: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** The environment variable naming the coordinator when `--coordinator` is not given. */
export const COORDINATOR_ENV = 'BATON_COORDINATOR';

/**
 * The global options as parsed from one part of the command line. The keys are the flags'
 * own, as node:util parseArgs returns them, so that a command passes its parsed values as is.
 */
export interface GlobalFlags {
  readonly coordinator?: string | undefined;
  readonly 'tls-ca'?: string | undefined;
  readonly 'tls-cert'?: string | undefined;
  readonly 'tls-key'?: string | undefined;
  readonly token?: string | undefined;
  readonly json?: boolean | undefined;
  readonly help?: boolean | undefined;
}

/** The global options that take a value, with what the value is called in a usage error. */
const VALUE_NAMES = {
  coordinator: 'host:port',
  'tls-ca': 'file',
  'tls-cert': 'file',
  'tls-key': 'file',
  token: 'token',
} as const satisfies Partial<Record<keyof GlobalFlags, string>>;

type ValuedGlobalOption = keyof typeof VALUE_NAMES;

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
 * @throws UsageError for any other option before the command, or one that takes a value without it.
 */
export function splitCommandLine(argv: readonly string[]): SplitCommandLine {
  const leading: { -readonly [K in keyof GlobalFlags]: GlobalFlags[K] } = { json: false, help: false };
  let index = 0;
  for (let arg = argv[index]; arg !== undefined && arg.startsWith('-'); arg = argv[index]) {
    let consumed = 1;
    if (arg === '--json') leading.json = true;
    else if (arg === '--help' || arg === '-h') leading.help = true;
    else {
      const option = readValuedOption(argv, index);
      leading[option.name] = option.value;
      consumed = option.consumed;
    }
    index += consumed;
  }
  return { leading, command: argv[index], rest: argv.slice(index + 1) };
}

/** `--name=value` or `--name value` at `argv[index]`; `consumed` counts the arguments it took. */
function readValuedOption(argv: readonly string[], index: number): { name: ValuedGlobalOption; value: string; consumed: number } {
  const arg = argv[index] ?? '';
  const equals = arg.indexOf('=');
  const name = (equals < 0 ? arg : arg.slice(0, equals)).slice(2);
  if (!arg.startsWith('--') || !isValuedGlobalOption(name)) throw new UsageError(`unknown option '${arg}' before the command`);
  if (equals >= 0) return { name, value: arg.slice(equals + 1), consumed: 1 };
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('-')) {
    throw new UsageError(`option '--${name} <${VALUE_NAMES[name]}>' argument missing`);
  }
  return { name, value, consumed: 2 };
}

function isValuedGlobalOption(name: string): name is ValuedGlobalOption {
  return Object.hasOwn(VALUE_NAMES, name);
}

/** The settings every command that talks to the coordinator needs. */
export interface GlobalSettings {
  readonly address: string;
  readonly json: boolean;
  /** TLS and token options, not yet read or checked: the files are read when connecting. */
  readonly connection: ConnectionSecuritySources;
}

/**
 * Merges the global options given before and after the command name (after wins) and
 * resolves the address: `--coordinator`, else `$BATON_COORDINATOR`, else 127.0.0.1:7070; and
 * each of `--tls-ca`, `--tls-cert`, `--tls-key`, `--token`, else `$BATON_TLS_CA`,
 * `$BATON_TLS_CERT`, `$BATON_TLS_KEY`, `$BATON_TOKEN`.
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
  const connection = connectionSecurityFromFlagsAndEnv(
    {
      tlsCa: trailing['tls-ca'] ?? leading['tls-ca'],
      tlsCert: trailing['tls-cert'] ?? leading['tls-cert'],
      tlsKey: trailing['tls-key'] ?? leading['tls-key'],
      token: trailing.token ?? leading.token,
    },
    env,
  );
  return { address, json: Boolean(trailing.json ?? leading.json), connection };
}
