import { envName, flagName, type Setting } from './config';
import type { ConnectionSecurityNames, ConnectionSecurityOptions } from './connection-security';

/**
 * The connection security settings of every command that connects to the coordinator
 * (`baton worker` and the client commands): one declaration, so that the flags (`--tls-ca`)
 * and variables (`BATON_TLS_CA`) are spelled the same everywhere.
 */
export const CONNECTION_SECURITY_SETTINGS: readonly Setting[] = [
  { key: 'tlsCa', type: { kind: 'string' }, default: '', help: 'CA (PEM file) to trust for the coordinator; turns TLS on' },
  { key: 'tlsCert', type: { kind: 'string' }, default: '', help: 'client certificate (PEM file) for mutual TLS; needs --tls-key' },
  { key: 'tlsKey', type: { kind: 'string' }, default: '', help: 'private key (PEM file) of --tls-cert' },
  { key: 'token', type: { kind: 'string' }, default: '', help: 'bearer token sent with every call; prefer the variable' },
];

/** The connection security flags as parsed, by option key. */
export type ConnectionSecurityFlags = { readonly [K in keyof ConnectionSecurityOptions]?: string | undefined };

/** Options and the name of the flag or variable each came from. */
export interface ConnectionSecuritySources {
  readonly options: ConnectionSecurityOptions;
  readonly names: ConnectionSecurityNames;
}

/**
 * Each option from its flag, else its `BATON_*` variable, named after where it came from so
 * that an error points at what to fix. An empty variable counts as unset, like every other
 * `BATON_*` variable; an empty flag is kept, to be refused by the checks.
 */
export function connectionSecurityFromFlagsAndEnv(
  flags: ConnectionSecurityFlags,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionSecuritySources {
  const pick = (key: keyof ConnectionSecurityOptions): { value: string | undefined; name: string } => {
    const variable = env[envName(key)];
    if (flags[key] === undefined && variable !== undefined && variable !== '') return { value: variable, name: envName(key) };
    return { value: flags[key], name: flagName(key) };
  };
  const [tlsCa, tlsCert, tlsKey, token] = [pick('tlsCa'), pick('tlsCert'), pick('tlsKey'), pick('token')];
  return {
    options: { tlsCa: tlsCa.value, tlsCert: tlsCert.value, tlsKey: tlsKey.value, token: token.value },
    names: { tlsCa: tlsCa.name, tlsCert: tlsCert.name, tlsKey: tlsKey.name, token: token.name },
  };
}
