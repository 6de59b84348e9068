import { createSecureContext } from 'node:tls';
import { ConfigError, errorMessage } from '../../shared/errors';
import { parseCertificate, parsePrivateKey, readPemSource } from '../../shared/tls-material';
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
 * certificate (so a bad reload is refused before it replaces a working identity). The same
 * readers serve clients and workers (shared/tls-material.ts).
 * @throws ConfigError naming the setting whose file is wrong.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPemSource(files.certFile, 'tlsCert');
  parseCertificate(cert, files.certFile, 'tlsCert');
  const key = readPemSource(files.keyFile, 'tlsKey');
  parsePrivateKey(key, files.keyFile, 'tlsKey');
  let clientCa: Buffer | undefined;
  if (files.clientCaFile !== undefined) {
    clientCa = readPemSource(files.clientCaFile, 'tlsClientCa');
    parseCertificate(clientCa, files.clientCaFile, 'tlsClientCa');
  }
  try {
    createSecureContext({ cert, key, ...(clientCa ? { ca: clientCa } : {}) });
  } catch (err: unknown) {
    throw new ConfigError('tlsCert', `${files.certFile} with ${files.keyFile} is no usable TLS identity: ${errorMessage(err)}`, { cause: err });
  }
  return { cert, key, clientCa };
}
