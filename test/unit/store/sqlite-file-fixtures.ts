/**
 * Helpers for tests that look at or doctor a data file directly, while no store holds it open
 * (an open store locks its file).
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import type { Logger } from '../../../shared/logger';

/**
 * Turns a closed file of the current version into what a version 3 file looked like: no
 * schedules, queue settings, progress or schedule origin, and no incremental vacuum.
 */
export function downgradeToVersion3(filePath: string): void {
  const db = new Database(filePath);
  try {
    db.exec(`DROP INDEX tasks_schedule_id;
      ALTER TABLE tasks DROP COLUMN schedule_name;
      ALTER TABLE tasks DROP COLUMN schedule_fire_ms;
      ALTER TABLE tasks DROP COLUMN progress_fraction;
      ALTER TABLE tasks DROP COLUMN progress_message;
      ALTER TABLE tasks DROP COLUMN progress_at_ms;
      ALTER TABLE tasks DROP COLUMN fairness_key;
      DROP TABLE schedules;
      DROP TABLE queue_settings;
      UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
    setAutoVacuumNone(db);
  } finally {
    db.close();
  }
}

/** Takes a closed file out of incremental vacuum mode, as a file from before version 4 was. */
export function disableAutoVacuum(filePath: string): void {
  const db = new Database(filePath);
  try {
    setAutoVacuumNone(db);
  } finally {
    db.close();
  }
}

function setAutoVacuumNone(db: Database.Database): void {
  db.pragma('auto_vacuum = NONE');
  db.exec('VACUUM');
  if (db.pragma('auto_vacuum', { simple: true }) !== 0) throw new Error('could not turn auto_vacuum off');
}

/** `PRAGMA auto_vacuum` of a closed file: 0 none, 1 full, 2 incremental. */
export function autoVacuumOf(filePath: string): number {
  return readOnly(filePath, (db) => db.pragma('auto_vacuum', { simple: true }) as number);
}

/** The schema_version recorded in a closed file. */
export function schemaVersionOf(filePath: string): string {
  return readOnly(filePath, (db) => db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string);
}

/** Runs `read` on a read-only connection to a closed file. */
export function readOnly<T>(filePath: string, read: (db: Database.Database) => T): T {
  const db = new Database(filePath, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** A logger that keeps the lines it is given (parsed), for tests of what gets logged. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}
