import { readFileSync } from 'node:fs';
import { formatDurationMs, parseDurationMs } from './duration';
import { ConfigError, errorMessage } from './errors';

/**
 * Layered configuration: defaults < config file (JSON) < BATON_* environment < flags.
 * Each setting is declared once; every error names the setting as the user wrote it
 * (`--lease-timeout`, `BATON_LEASE_TIMEOUT` or `baton.json: leaseTimeout`).
 */
export type SettingKind =
  | { readonly kind: 'string' }
  | { readonly kind: 'duration'; readonly minMs?: number }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'list' }
  /** A JSON object: nested in the config file, or JSON text in a variable or flag. */
  | { readonly kind: 'object' };

export type SettingValue = string | number | string[] | Readonly<Record<string, unknown>>;

export interface Setting {
  /** camelCase name, also the key in a config file. */
  readonly key: string;
  readonly type: SettingKind;
  readonly default: SettingValue;
  readonly help: string;
}

export interface ConfigSources {
  /** Parsed flags by setting key (already in camelCase). */
  readonly flags: Readonly<Record<string, string | string[] | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file, if any. */
  readonly configFile?: string | undefined;
}

export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A setting's default as a person reads it ("10s", "default", "127.0.0.1:7070"). */
export function showDefault(setting: Setting): string {
  const value = setting.default;
  if (setting.type.kind === 'duration') return value === 0 ? 'none' : formatDurationMs(value as number);
  if (Array.isArray(value)) return value.map((item) => JSON.stringify(item)).join(',');
  if (typeof value === 'string') return value === '' ? 'none' : JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function envName(key: string): string {
  return `BATON_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Resolves every setting through the layers.
 * @throws ConfigError naming the setting and the layer it came from.
 */
export function resolveSettings(settings: readonly Setting[], sources: ConfigSources): Record<string, SettingValue> {
  const file = sources.configFile ? readConfigFile(sources.configFile, settings) : {};
  const resolved: Record<string, SettingValue> = {};
  for (const setting of settings) {
    let value: SettingValue = setting.default;
    const fromFile = file[setting.key];
    if (fromFile !== undefined) value = parseSetting(setting, fromFile, `${sources.configFile}: ${setting.key}`);
    const fromEnv = sources.env[envName(setting.key)];
    if (fromEnv !== undefined && fromEnv !== '') {
      const raw = setting.type.kind === 'list' ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : fromEnv;
      value = parseSetting(setting, raw, envName(setting.key));
    }
    const fromFlag = sources.flags[setting.key];
    if (fromFlag !== undefined) value = parseSetting(setting, fromFlag, flagName(setting.key));
    resolved[setting.key] = value;
  }
  return resolved;
}

function readConfigFile(path: string, settings: readonly Setting[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err: unknown) {
    throw new ConfigError('--config', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('--config', `${path} must hold a JSON object`);
  }
  const known = new Set(settings.map((s) => s.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`${path}: ${key}`, `unknown setting (known: ${[...known].join(', ')})`);
  }
  return parsed as Record<string, unknown>;
}

function parseSetting(setting: Setting, raw: unknown, where: string): SettingValue {
  const type = setting.type;
  switch (type.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(where, 'expected a string');
      return raw;
    case 'object': {
      let value = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw) as unknown;
        } catch (err: unknown) {
          throw new ConfigError(where, `expected a JSON object: ${errorMessage(err)}`, { cause: err });
        }
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(where, 'expected a JSON object');
      return value as Record<string, unknown>;
    }
    case 'list':
      if (typeof raw === 'string') return [raw];
      if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) throw new ConfigError(where, 'expected a list of strings');
      return raw;
    case 'enum':
      if (typeof raw !== 'string' || !type.values.includes(raw.toLowerCase())) {
        throw new ConfigError(where, `expected one of ${type.values.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw.toLowerCase();
    case 'duration': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(where, 'expected a duration like 500ms or 10s');
      let ms: number;
      try {
        ms = parseDurationMs(raw, where);
      } catch (err: unknown) {
        throw new ConfigError(where, `expected a duration like 500ms or 10s, got ${JSON.stringify(raw)}`, { cause: err });
      }
      if (type.minMs !== undefined && ms < type.minMs) throw new ConfigError(where, `must be at least ${type.minMs}ms`);
      return ms;
    }
    case 'integer':
    case 'number': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(value) || (type.kind === 'integer' && !Number.isInteger(value))) {
        throw new ConfigError(where, `expected ${type.kind === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      if (value < type.min || value > type.max) throw new ConfigError(where, `must be between ${type.min} and ${type.max}, got ${value}`);
      return value;
    }
  }
}
