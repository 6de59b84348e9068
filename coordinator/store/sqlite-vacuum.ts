/**
 * Incremental vacuum: deleting finished tasks frees pages inside the file, and SQLite reuses
 * them but never gives them back to the file system. A file in `auto_vacuum = INCREMENTAL`
 * mode can give them back a few at a time (`PRAGMA incremental_vacuum(N)`), between commits,
 * so that the file stops growing under a steady load and shrinks after a burst.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from '../../shared/logger';

/** `PRAGMA auto_vacuum`'s value for INCREMENTAL. */
const AUTO_VACUUM_INCREMENTAL = 2;

/**
 * Puts the file in incremental auto-vacuum mode if it is not already. The mode of a file
 * that has pages is fixed: only a VACUUM after setting the pragma changes it, and a VACUUM
 * rewrites the whole file, outside any transaction. So this runs at open, before or after
 * the transactions that create or migrate the schema, never inside one.
 *
 * A new file needs it too: taking the file's lock at open writes its first page, which
 * fixes the mode before the pragma could take effect alone; the VACUUM of an empty file
 * costs nothing.
 *
 * A VACUUM that fails (a full disk: it needs room for a copy of the file) leaves the file as
 * it was and is logged; the store works without it, reclaimSpace frees nothing, and the next
 * open tries again.
 * @returns whether the file is now in incremental mode.
 */
export function ensureIncrementalVacuum(db: Database.Database, filePath: string, logger: Logger): boolean {
  if (autoVacuumMode(db) === AUTO_VACUUM_INCREMENTAL) return true;
  const isEmpty = db.pragma('page_count', { simple: true }) === 0 || !hasTables(db);
  const bytesBefore = fileSize(filePath);
  // A VACUUM needs room for a copy of the file and, in WAL mode, as much again for the WAL.
  const freeBytes = freeDiskBytes(filePath);
  if (!isEmpty && freeBytes !== undefined && bytesBefore !== undefined && freeBytes < 2.2 * bytesBefore) {
    logger.warn(
      { path: filePath, bytes: bytesBefore, free_bytes: freeBytes },
      'not converting the data file to incremental vacuum: the disk has too little room for the rewrite; space freed by deleted tasks stays in the file until an open with room converts it',
    );
    return false;
  }
  if (!isEmpty) {
    logger.info({ path: filePath, bytes: bytesBefore }, 'converting the data file to incremental vacuum: a one-off VACUUM that rewrites the file');
  }
  const startedAt = performance.now();
  try {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  } catch (err: unknown) {
    logger.warn({ err, path: filePath }, 'could not convert the data file to incremental vacuum; space freed by deleted tasks stays in the file until a later open converts it');
    truncateWal(db, logger);
    return false;
  }
  const converted = autoVacuumMode(db) === AUTO_VACUUM_INCREMENTAL;
  if (!isEmpty) {
    // In WAL mode the VACUUM wrote a copy of every page to the WAL: move them into the file
    // now, and empty the WAL, rather than carry a WAL the size of the database.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const durationMs = Math.round(performance.now() - startedAt);
    logger.info({ path: filePath, converted, durationMs, bytesBefore, bytesAfter: fileSize(filePath) }, 'converted the data file to incremental vacuum');
  } else if (!converted) {
    logger.warn({ path: filePath }, 'SQLite did not put the new data file in incremental vacuum mode');
  }
  return converted;
}

/**
 * Gives up to `maxPages` free pages back to the file system and returns how many it freed.
 * Its own (autocommit) transaction: the caller makes sure no other is open. In WAL mode the
 * file itself shrinks at the next checkpoint.
 */
export function reclaimFreePages(db: Database.Database, maxPages: number): number {
  const before = freePages(db);
  if (before === 0) return 0;
  // A pragma's argument cannot be bound; maxPages is a checked positive integer. `exec` steps
  // the pragma to its end, which is what frees the pages.
  db.exec(`PRAGMA incremental_vacuum(${maxPages})`);
  return before - freePages(db);
}

function freePages(db: Database.Database): number {
  return db.pragma('freelist_count', { simple: true }) as number;
}

function autoVacuumMode(db: Database.Database): number {
  return db.pragma('auto_vacuum', { simple: true }) as number;
}

function hasTables(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1`).pluck().get() !== undefined;
}

/** The data file's size in bytes, for the log; undefined if it cannot be read. */
function fileSize(filePath: string): number | undefined {
  try {
    return fs.statSync(filePath).size;
  } catch {
    return undefined;
  }
}

/** Bytes free on the file system that holds `filePath`; undefined where statfs cannot tell. */
function freeDiskBytes(filePath: string): number | undefined {
  try {
    const stats = fs.statfsSync(filePath);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** A failed VACUUM may have left the WAL grown: give that space back too. */
function truncateWal(db: Database.Database, logger: Logger): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err: unknown) {
    logger.warn({ err }, 'could not truncate the WAL after a failed VACUUM');
  }
}
