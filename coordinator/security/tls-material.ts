import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, errorMessage } from '../../shared/errors';
import type { TlsFiles } from '../config';

/** The coordinator's TLS identity as loaded from its PEM files. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Mutual TLS: the CA client certificates must chain to. */
  readonly clientCa: Buffer | undefined;
}

/**
 * Reads and checks the PEM files: each must exist and parse, and the key must belong to the
 * certificate (so a bad reload is refused before it replaces a working identity).
 * @throws ConfigError naming the setting whose file is wrong.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.certFile, 'tlsCert');
  const key = readPem(files.keyFile, 'tlsKey');
  const clientCa = files.clientCaFile === undefined ? undefined : readPem(files.clientCaFile, 'tlsClientCa');
  try {
    createSecureContext({ cert, key, ...(clientCa ? { ca: clientCa } : {}) });
  } catch (err: unknown) {
    throw new ConfigError('tlsCert', `${files.certFile} with ${files.keyFile} is no usable TLS identity: ${errorMessage(err)}`, { cause: err });
  }
  return { cert, key, clientCa };
}

function readPem(path: string, key: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err: unknown) {
    throw new ConfigError(key, `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN ')) throw new ConfigError(key, `${path} holds no PEM block`);
  return pem;
}
