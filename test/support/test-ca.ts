/**
 * Throwaway certificate authorities for TLS tests, made with Debian's `openssl` command in a
 * temp dir: EC P-256 keys (milliseconds each, where RSA takes far longer), no prompts, valid
 * for two days. Only file paths come back; read them where the bytes are needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its unencrypted private key, both PEM files. */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

/** A CA: its certificate (what a peer trusts) and its key (what signs). */
export type CaFiles = CertificateFiles;

export interface TestCa {
  /** The temp dir holding every file. */
  readonly dir: string;
  /** The CA that signed `server` and `clients`. */
  readonly ca: CaFiles;
  /** For a server on 127.0.0.1 or localhost (both are in its subjectAltName). */
  readonly server: CertificateFiles;
  /** Client certificates by common name, from `clientNames`. */
  readonly clients: Readonly<Record<string, CertificateFiles>>;
  /** An unrelated CA with a client certificate of its own (CN `stranger`), for "wrong CA" tests. */
  readonly otherCa: CaFiles & { readonly client: CertificateFiles };
  /** Signs another client certificate with `ca`. */
  issueClient(commonName: string): Promise<CertificateFiles>;
  /** Removes the temp dir. Idempotent, synchronous so that it can run in any `after`. */
  cleanup(): void;
}

export interface TestCaOptions {
  /** Common names of the client certificates to make up front (e.g. worker names). Default `['client']`. */
  readonly clientNames?: readonly string[];
}

const VALID_DAYS = '2';
/** What `-subj` takes without escaping: `/` and `=` would start another attribute. */
const COMMON_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@-]*$/;

/** Makes the CAs and certificates; call `cleanup()` when done. */
export async function createTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const clientNames = options.clientNames ?? ['client'];
  clientNames.forEach(checkCommonName);
  const dir = await mkdtemp(join(tmpdir(), 'baton-test-ca-'));
  try {
    const [ca, otherCaRoot] = await Promise.all([makeCa(dir, 'ca', 'Baton Test CA'), makeCa(dir, 'other-ca', 'Unrelated Test CA')]);
    const issueClient = async (commonName: string): Promise<CertificateFiles> => {
      checkCommonName(commonName);
      return makeClient(dir, ca, `client-${commonName}`, commonName);
    };
    const [server, otherClient, ...clients] = await Promise.all([
      makeServer(dir, ca),
      makeClient(dir, otherCaRoot, 'other-ca-client', 'stranger'),
      ...clientNames.map(issueClient),
    ]);
    return {
      dir,
      ca,
      server,
      clients: Object.fromEntries(clientNames.map((name, index) => [name, clients[index] as CertificateFiles])),
      otherCa: { ...otherCaRoot, client: otherClient },
      issueClient,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err: unknown) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function makeCa(dir: string, name: string, commonName: string): Promise<CaFiles> {
  // `req -x509` marks a self-signed certificate CA:TRUE (the default config's v3_ca section).
  return makeCertificate(dir, name, commonName, []);
}

function makeServer(dir: string, ca: CaFiles): Promise<CertificateFiles> {
  return makeCertificate(dir, 'server', 'localhost', [
    ...leafExtensions('serverAuth'),
    // grpc-js checks the address it dialled against the SANs: 127.0.0.1 needs an IP entry.
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], ca);
}

function makeClient(dir: string, ca: CaFiles, fileName: string, commonName: string): Promise<CertificateFiles> {
  return makeCertificate(dir, fileName.replace(/[^A-Za-z0-9._-]/g, '_'), commonName, leafExtensions('clientAuth'), ca);
}

function checkCommonName(commonName: string): void {
  if (!COMMON_NAME_PATTERN.test(commonName)) throw new Error(`test CA: unsupported common name ${JSON.stringify(commonName)}`);
}

/** `-addext` replaces the config's CA:TRUE, so a leaf cannot sign certificates of its own. */
function leafExtensions(usage: 'serverAuth' | 'clientAuth'): string[] {
  return ['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', `extendedKeyUsage=${usage}`];
}

/** One key and certificate: self-signed without `issuer`, else signed by it (OpenSSL 3's `req -CA`). */
async function makeCertificate(dir: string, name: string, commonName: string, extra: string[], issuer?: CaFiles): Promise<CertificateFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const signing = issuer ? ['-CA', issuer.cert, '-CAkey', issuer.key] : [];
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', files.key, '-out', files.cert, '-days', VALID_DAYS, '-subj', `/CN=${commonName}`,
    ...signing, ...extra,
  ]);
  return files;
}
