import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from './errors';

/** A PEM file's path, or the PEM bytes themselves (a Buffer is a Uint8Array). */
export type PemSource = string | Uint8Array;

const PEM_CERTIFICATE_HEADER = '-----BEGIN CERTIFICATE-----';

/**
 * The bytes of a PEM source: read from the file when it is a path.
 * @param name the option as the user wrote it, for the error.
 * @throws ConfigError for an empty path, an unreadable file, or a value of another type.
 */
export function readPemSource(source: PemSource, name: string): Buffer {
  if (source instanceof Uint8Array) return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  // Callers in plain JavaScript get a message, not a TypeError from deep inside Node.
  if (typeof source !== 'string') throw new ConfigError(name, 'expected a file path or a Buffer');
  if (source.trim() === '') throw new ConfigError(name, 'expected a file path, got ""');
  try {
    return readFileSync(source);
  } catch (err: unknown) {
    throw new ConfigError(name, `cannot read ${source}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Checks that `pem` holds a certificate (the first of a bundle is parsed), so that a wrong
 * file is named here rather than surfacing as a handshake failure on the first call.
 * @throws ConfigError naming the option.
 */
export function parseCertificate(pem: Buffer, source: PemSource, name: string): X509Certificate {
  if (!pem.includes(PEM_CERTIFICATE_HEADER)) throw new ConfigError(name, `${describeSource(source)} holds no PEM certificate`);
  try {
    return new X509Certificate(pem);
  } catch (err: unknown) {
    throw new ConfigError(name, `${describeSource(source)} is not a valid PEM certificate: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Checks that `pem` holds an unencrypted private key (TLS here has no passphrase prompt).
 * @throws ConfigError naming the option.
 */
export function parsePrivateKey(pem: Buffer, source: PemSource, name: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err: unknown) {
    throw new ConfigError(name, `${describeSource(source)} is not an unencrypted PEM private key: ${errorMessage(err)}`, { cause: err });
  }
}

/** How an error refers to a source: its path, never the key material. */
export function describeSource(source: PemSource): string {
  return typeof source === 'string' ? source : 'the given bytes';
}
