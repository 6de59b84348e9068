import { createHash } from 'node:crypto';
import { ConfigError, errorMessage } from '../../shared/errors';
import { ROLES, type Role } from './principal';

/** One accepted token, as the coordinator keeps it: never the token itself, only its hash. */
export interface TokenGrant {
  /** Shown in logs and used as the principal id (`token:NAME`); never the token. */
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the token. */
  readonly hash: Buffer;
  /** Null: every queue. */
  readonly queues: ReadonlySet<string> | null;
  /** Where in the file it was written (`tokens:3`, `tokens: tokens[2]`), for errors. */
  readonly source: string;
}

/** Shortest token accepted: anything shorter is guessable. */
export const MIN_TOKEN_LENGTH = 16;
/** Printable ASCII without spaces, and without `#`, which starts a comment in the text format. */
const TOKEN_PATTERN = /^[\x21-\x22\x24-\x7e]+$/;
const HASH_PREFIX = 'sha256:';
const QUEUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Parses a tokens file: either JSON (`{"tokens": [{"name", "role", "token" | "sha256", "queues"}]}`
 * or just the array), or text with one `ROLE TOKEN [QUEUE,QUEUE...]` per line (`#` starts a
 * comment). A token may be given as `sha256:HEX` so that the file holds no secret.
 * @throws ConfigError naming the file and the entry.
 */
export function parseTokensFile(text: string, path: string): TokenGrant[] {
  const trimmed = text.trimStart();
  const grants = trimmed.startsWith('{') || trimmed.startsWith('[') ? parseJson(text, path) : parseLines(text, path);
  if (grants.length === 0) throw new ConfigError(path, 'holds no tokens');
  const seen = new Map<string, string>();
  const names = new Set<string>();
  for (const grant of grants) {
    const key = grant.hash.toString('hex');
    const other = seen.get(key);
    if (other !== undefined) throw new ConfigError(grant.source, `repeats the token of ${other}`);
    // A name is a principal (token:NAME): two grants must not share one worker-id namespace.
    if (names.has(grant.name)) throw new ConfigError(path, `the name ${grant.name} is used twice`);
    seen.set(key, grant.source);
    names.add(grant.name);
  }
  return grants;
}

function parseLines(text: string, path: string): TokenGrant[] {
  const grants: TokenGrant[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const where = `${path}:${index + 1}`;
    const [role, token, queues, ...extra] = line.split(/\s+/);
    if (extra.length > 0) throw new ConfigError(where, 'expected ROLE TOKEN [QUEUE,QUEUE...] (queues are separated by commas)');
    grants.push(makeGrant({ role, token, queues: queues?.split(',') }, where));
  });
  return grants;
}

function parseJson(text: string, path: string): TokenGrant[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err: unknown) {
    // Only where: the parser's own message quotes the text around the error, tokens included.
    throw new ConfigError(path, `not valid JSON ${jsonErrorPosition(text, errorMessage(err))}`);
  }
  const entries = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(entries)) throw new ConfigError(path, 'expected {"tokens": [...]} or an array of tokens');
  return entries.map((entry: unknown, index) => {
    const where = `${path}: tokens[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(where, 'expected an object');
    const known = ['name', 'role', 'token', 'sha256', 'queues'];
    for (const key of Object.keys(entry)) if (!known.includes(key)) throw new ConfigError(`${where}.${key}`, `unknown key (known: ${known.join(', ')})`);
    const e = entry as Record<string, unknown>;
    if (e.queues !== undefined && (!Array.isArray(e.queues) || !e.queues.every((q) => typeof q === 'string'))) {
      throw new ConfigError(`${where}.queues`, 'expected an array of queue names');
    }
    if ((e.token === undefined) === (e.sha256 === undefined)) throw new ConfigError(where, 'set exactly one of token and sha256');
    if (e.sha256 !== undefined && typeof e.sha256 !== 'string') throw new ConfigError(`${where}.sha256`, 'expected 64 hex digits');
    const token = e.sha256 === undefined ? e.token : `${HASH_PREFIX}${e.sha256}`;
    return makeGrant({ name: e.name, role: e.role, token, queues: e.queues }, where);
  });
}

/** "at line L, column C" from a JSON.parse message that names a position, else nothing. */
function jsonErrorPosition(text: string, message: string): string {
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return '(the parser gave no position)';
  const before = text.slice(0, Number(position)).split('\n');
  return `at line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

function makeGrant(raw: { name?: unknown; role: unknown; token: unknown; queues: string[] | undefined }, where: string): TokenGrant {
  if (typeof raw.role !== 'string' || !ROLES.includes(raw.role as Role)) {
    // Not echoed: in a line written the wrong way round, the "role" is the token.
    throw new ConfigError(where, `the role (the first word of a line) must be one of ${ROLES.join(', ')}`);
  }
  if (typeof raw.token !== 'string') throw new ConfigError(where, 'a token is missing');
  const hash = tokenHash(raw.token, where);
  if (raw.name !== undefined && (typeof raw.name !== 'string' || !QUEUE_PATTERN.test(raw.name))) {
    throw new ConfigError(`${where}.name`, 'must be 1-128 letters, digits and _ . : / -');
  }
  const name = raw.name ?? hash.toString('hex').slice(0, 12);
  let queues: Set<string> | null = null;
  if (raw.queues !== undefined) {
    queues = new Set(raw.queues.filter((queue) => queue !== ''));
    [...queues].forEach((queue, index) => {
      if (!QUEUE_PATTERN.test(queue)) throw new ConfigError(where, `queue ${index + 1} of the list is not a queue name (letters, digits and _ . : / -)`);
    });
    if (queues.size === 0) throw new ConfigError(where, 'an empty queue list would allow nothing; leave it out to allow every queue');
  }
  return { name, role: raw.role as Role, hash, queues, source: where };
}

function tokenHash(token: string, where: string): Buffer {
  if (token.startsWith(HASH_PREFIX)) {
    const hex = token.slice(HASH_PREFIX.length);
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError(where, 'sha256: expected 64 hex digits');
    return Buffer.from(hex, 'hex');
  }
  // The message never repeats the token: config errors end up in logs.
  if (!TOKEN_PATTERN.test(token)) throw new ConfigError(where, 'a token must be printable ASCII without spaces or #');
  if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(where, `a token must be at least ${MIN_TOKEN_LENGTH} characters`);
  return hashToken(token);
}
