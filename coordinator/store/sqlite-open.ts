/**
 * Opening a Baton data directory: refuse anything that is not ours (a foreign directory, a
 * corrupt or foreign file, a newer schema) before writing a single byte into it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../shared/logger';
import { errorMessage } from '../../shared/errors';
import { failedPrecondition } from './store-errors';
import { CREATE_SCHEMA_SQL, FORMAT_KEY, FORMAT_VALUE, MIGRATIONS, SCHEMA_VERSION, SCHEMA_VERSION_KEY } from './sqlite-schema';
import { ensureIncrementalVacuum } from './sqlite-vacuum';

/** The data file's name inside the data directory. */
export const DATA_FILE_NAME = 'baton.db';

/** How long a statement waits for a lock held by another connection (e.g. an inspecting sqlite3 shell). */
const BUSY_TIMEOUT_MS = 5000;
/** How long start-up waits for the data file's lock before saying who holds it. */
const LOCK_WAIT_MS = 500;
/** Directory entries that do not make a directory foreign: a fresh ext4 volume mount has one. */
const IGNORED_ENTRIES: ReadonlySet<string> = new Set(['lost+found']);
/** How many entries a refusal message names before summarising. */
const MAX_LISTED_ENTRIES = 10;

export interface OpenDatabaseOptions {
  readonly dataDir: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly logger: Logger;
}

export interface OpenedDatabase {
  readonly db: Database.Database;
  /** Absolute path of the data file. */
  readonly filePath: string;
  /** True when this open created the schema. */
  readonly created: boolean;
}

/**
 * Opens (creating if needed) `<dataDir>/baton.db` with WAL, the requested synchronous level,
 * a busy timeout, foreign keys on and incremental auto-vacuum (sqlite-vacuum.ts).
 * @throws FailedPreconditionError when the directory or file is not a Baton data directory or
 * database, fails its integrity check, or has a newer schema version than this code.
 */
export function openBatonDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  const dataDir = path.resolve(options.dataDir);
  const filePath = path.join(dataDir, DATA_FILE_NAME);
  prepareDataDir(dataDir);

  let db: Database.Database;
  try {
    db = new Database(filePath, { timeout: BUSY_TIMEOUT_MS });
  } catch (err: unknown) {
    throw failedPrecondition(`cannot open ${filePath}: ${errorMessage(err)}`, err);
  }
  try {
    lockExclusively(db, dataDir, filePath);
    const found = inspectDatabase(db, filePath);
    configureConnection(db, options, filePath);
    if (found.kind === 'empty') {
      // Before the first table: see ensureIncrementalVacuum.
      ensureIncrementalVacuum(db, filePath, options.logger);
      createSchema(db);
    } else {
      migrate(db, found.version, options.logger);
      // Converts a file from before version 4 once (a VACUUM cannot run in the migration's
      // transaction), and retries a conversion that an earlier open could not finish.
      ensureIncrementalVacuum(db, filePath, options.logger);
    }
    return { db, filePath, created: found.kind === 'empty' };
  } catch (err: unknown) {
    db.close(); // a refused file must not stay open (or locked) behind the error
    throw err;
  }
}

/**
 * Takes the file for this process alone and keeps it until close: two coordinators on one
 * data directory would each dispatch the same tasks. In EXCLUSIVE locking mode SQLite holds
 * its locks for the life of the connection, and in WAL mode uses no shared memory.
 */
function lockExclusively(db: Database.Database, dataDir: string, filePath: string): void {
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  try {
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err: unknown) {
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw failedPrecondition(`data directory ${dataDir} is in use by another process (another coordinator?): ${errorMessage(err)}`, err);
    }
    if (isWriteRefusal(err)) {
      throw failedPrecondition(`cannot write to ${filePath} (is the data directory or the file read-only?): ${errorMessage(err)}`, err);
    }
    throw failedPrecondition(`${filePath} is not a valid Baton database: ${errorMessage(err)}`, err);
  }
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
}

/** SQLite's codes for "the file system would not let me write", as opposed to a damaged file. */
function isWriteRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(READONLY|CANTOPEN|PERM|IOERR)/.test(code);
}

/** Creates a missing data directory; refuses one that holds someone else's files. */
function prepareDataDir(dataDir: string): void {
  let entries: fs.Dirent[];
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    entries = fs.readdirSync(dataDir, { withFileTypes: true });
  } catch (err: unknown) {
    throw failedPrecondition(`cannot use data directory ${dataDir}: ${errorMessage(err)}`, err);
  }
  const names = entries.filter((entry) => !IGNORED_ENTRIES.has(entry.name)).map((entry) => entry.name);
  if (names.length === 0 || names.includes(DATA_FILE_NAME)) return;
  const listed = entries
    .filter((entry) => !IGNORED_ENTRIES.has(entry.name))
    .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
    .sort();
  const shown = listed.slice(0, MAX_LISTED_ENTRIES).join(', ');
  const more = listed.length > MAX_LISTED_ENTRIES ? ` and ${listed.length - MAX_LISTED_ENTRIES} more` : '';
  throw failedPrecondition(
    `data directory ${dataDir} is not a Baton data directory (it contains: ${shown}${more}; expected ${DATA_FILE_NAME})`,
  );
}

/**
 * Classifies the file without writing to it: `empty` (new, or created by a start-up that died
 * before its first commit) or `baton` (ours, at a version we can open).
 */
function inspectDatabase(db: Database.Database, filePath: string): { kind: 'empty' } | { kind: 'baton'; version: number } {
  let problems: unknown[];
  let tables: unknown[];
  try {
    // quick_check reads every page, so it also catches a file that is not SQLite at all.
    problems = db.prepare('PRAGMA quick_check(5)').pluck().all().filter((line) => line !== 'ok');
    tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
  } catch (err: unknown) {
    throw failedPrecondition(`${filePath} is not a valid Baton database: ${errorMessage(err)}`, err);
  }
  if (problems.length > 0) {
    throw failedPrecondition(`${filePath} is not a valid Baton database: integrity check failed: ${problems.join('; ')}`);
  }
  if (tables.length === 0) return { kind: 'empty' };
  if (!tables.includes('meta')) throw notOurs(filePath);

  const meta = new Map(
    db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((row) => [row.key, row.value]),
  );
  if (meta.get(FORMAT_KEY) !== FORMAT_VALUE) throw notOurs(filePath);
  const versionText = meta.get(SCHEMA_VERSION_KEY) ?? '';
  const version = /^\d+$/.test(versionText) ? Number(versionText) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw failedPrecondition(`${filePath} is not a valid Baton database: bad schema_version ${JSON.stringify(versionText)}`);
  }
  if (version > SCHEMA_VERSION) {
    throw failedPrecondition(
      `${filePath} has schema version ${version}, newer than this Baton supports (version ${SCHEMA_VERSION}); upgrade Baton`,
    );
  }
  for (let from = version; from < SCHEMA_VERSION; from += 1) {
    if (!MIGRATIONS.has(from)) {
      throw failedPrecondition(`${filePath} has schema version ${version}, which this Baton cannot migrate to ${SCHEMA_VERSION}`);
    }
  }
  return { kind: 'baton', version };
}

/** Brings an older file up to {@link SCHEMA_VERSION}, one version per transaction. */
function migrate(db: Database.Database, version: number, logger: Logger): void {
  for (let from = version; from < SCHEMA_VERSION; from += 1) {
    const sql = MIGRATIONS.get(from);
    if (sql === undefined) continue; // inspectDatabase refused a file with a gap
    db.transaction(() => {
      db.exec(sql);
      db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(from + 1), SCHEMA_VERSION_KEY);
    }).immediate();
    logger.info({ from, to: from + 1 }, 'migrated the data file schema');
  }
}

function notOurs(filePath: string): Error {
  return failedPrecondition(`${filePath} is a SQLite database but not Baton's (no ${FORMAT_KEY}=${FORMAT_VALUE} marker)`);
}

/** Pages of WAL (4 KiB each) after which a commit checkpoints them into the database file. */
const WAL_CHECKPOINT_PAGES = 10_000;
/** What the WAL file is cut back to after a checkpoint (bytes): a little over one checkpoint's worth. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

function configureConnection(db: Database.Database, options: OpenDatabaseOptions, filePath: string): void {
  const journalMode = db.pragma('journal_mode = WAL', { simple: true });
  if (journalMode !== 'wal') {
    // Still durable, only slower and with readers blocking the writer; e.g. some network filesystems.
    options.logger.warn({ path: filePath, journalMode }, 'SQLite refused WAL mode; continuing in the mode it chose');
  }
  db.pragma(`synchronous = ${options.synchronous}`);
  // deleteTasks relies on ON DELETE CASCADE to take a task's attempts with it.
  db.pragma('foreign_keys = ON');
  if (db.pragma('foreign_keys', { simple: true }) !== 1) {
    throw failedPrecondition(`SQLite refused to enforce foreign keys on ${filePath} (built without them?)`);
  }
  // A checkpoint runs inside the commit that crosses the threshold, fsync included, and blocks
  // the event loop; every 40 MB of WAL instead of every 4 MB cut the store's cost per task by a
  // fifth (bench/RESULTS.md). Durability is the same: the WAL is the log.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  // After a checkpoint the WAL is reused from its start; this truncates a file a burst grew.
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
}

/** Creates the schema and the marker rows in one transaction. */
function createSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(CREATE_SCHEMA_SQL);
    const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insertMeta.run(FORMAT_KEY, FORMAT_VALUE);
    insertMeta.run(SCHEMA_VERSION_KEY, String(SCHEMA_VERSION));
  }).immediate();
}
