import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ConfigError, FailedPreconditionError } from '../../../shared/errors';
import { SCHEMA_VERSION } from '../../../coordinator/store/sqlite-schema';
import { TempDirs, makeAttempt, makeTask, openStore } from './store-fixtures';

/** The error `fn` throws; fails the test when it throws nothing. */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('SqliteTaskStore.open', () => {
  const temp = new TempDirs();
  after(() => temp.removeAll());

  it('creates a missing data directory, WAL mode, with the Baton marker', async () => {
    const dataDir = path.join(temp.make(), 'nested', 'data');
    const store = openStore(dataDir);
    await store.close();
    const db = new Database(path.join(dataDir, 'baton.db'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
      const meta = db.prepare('SELECT key, value FROM meta ORDER BY key').all();
      expect(meta).to.deep.equal([
        { key: 'format', value: 'baton' },
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
      ]);
    } finally {
      db.close();
    }
  });

  it('opens an empty existing directory, and reopens its own file', async () => {
    const dataDir = temp.make();
    const task = makeTask();
    const first = openStore(dataDir);
    await first.write([{ kind: 'insertTask', task }]);
    await first.close();
    const second = openStore(dataDir, { synchronous: 'NORMAL' });
    try {
      expect(second.getTask(task.id)).to.deep.equal(task);
    } finally {
      await second.close();
    }
  });

  it('refuses a data directory that another store holds open, and frees it on close', async () => {
    const dataDir = temp.make();
    const first = openStore(dataDir);
    expect(() => openStore(dataDir)).to.throw(FailedPreconditionError, /data directory .* is in use by another process/);
    await first.close();
    const second = openStore(dataDir);
    await second.close();
  });

  it('refuses a directory with other files and no baton.db, naming what it holds', () => {
    const dataDir = temp.make();
    fs.writeFileSync(path.join(dataDir, 'a.txt'), 'hello');
    fs.mkdirSync(path.join(dataDir, 'b'));
    const err = thrownBy(() => openStore(dataDir));
    expect(err).to.be.instanceOf(FailedPreconditionError);
    expect(err.message).to.equal(
      `data directory ${dataDir} is not a Baton data directory (it contains: a.txt, b/; expected baton.db)`,
    );
    expect(fs.existsSync(path.join(dataDir, 'baton.db'))).to.equal(false);
  });

  it('refuses a baton.db that is not SQLite, with the SQLite error as cause', () => {
    const dataDir = temp.make();
    const file = path.join(dataDir, 'baton.db');
    const garbage = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(file, garbage);
    const err = thrownBy(() => openStore(dataDir));
    expect(err).to.be.instanceOf(FailedPreconditionError);
    expect(err.message).to.equal(`${file} is not a valid Baton database: file is not a database`);
    expect(err.cause).to.be.instanceOf(Error);
    expect((err.cause as { code?: unknown }).code).to.equal('SQLITE_NOTADB');
    expect(fs.readFileSync(file).equals(garbage)).to.equal(true); // refused without writing
  });

  it('refuses a SQLite database that is not Baton\'s', () => {
    const dataDir = temp.make();
    const file = path.join(dataDir, 'baton.db');
    const db = new Database(file);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    const err = thrownBy(() => openStore(dataDir));
    expect(err).to.be.instanceOf(FailedPreconditionError);
    expect(err.message).to.contain(`${file} is a SQLite database but not Baton's`);
  });

  it('refuses a meta table without the Baton marker', () => {
    const dataDir = temp.make();
    const db = new Database(path.join(dataDir, 'baton.db'));
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'other')`);
    db.close();
    expect(thrownBy(() => openStore(dataDir)).message).to.contain("is a SQLite database but not Baton's");
  });

  it('migrates a version 1 file: attempts from before have an empty worker proof', async () => {
    const dataDir = temp.make();
    const store = openStore(dataDir);
    const task = makeTask({ state: 'running', attempt: 1, idempotencyKey: 'order-1' });
    await store.write([{ kind: 'insertTask', task }, { kind: 'putAttempt', taskId: task.id, attempt: makeAttempt() }]);
    await store.close();
    const db = new Database(path.join(dataDir, 'baton.db'));
    // What a version 1 file looked like: no worker proof, idempotency keys unique across queues.
    db.exec(`ALTER TABLE attempts DROP COLUMN worker_proof;
      ALTER TABLE attempts DROP COLUMN worker_principal;
      DROP INDEX tasks_queue_idempotency_key;
      CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX tasks_unfinished ON tasks (state) WHERE state IN ('scheduled', 'queued', 'running');
      UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
    db.close();

    const reopened = openStore(dataDir);
    try {
      expect(reopened.loadRunningAttempts().get(task.id)?.workerProof).to.equal('');
      const sameKeyElsewhere = makeTask({ queue: `${task.queue}-other`, idempotencyKey: 'order-1' });
      await reopened.write([{ kind: 'insertTask', task: sameKeyElsewhere }]);
      expect(reopened.findByIdempotencyKey(sameKeyElsewhere.queue, 'order-1')?.id).to.equal(sameKeyElsewhere.id);
      expect(reopened.findByIdempotencyKey(task.queue, 'order-1')?.id).to.equal(task.id);
    } finally {
      await reopened.close();
    }
    const check = new Database(path.join(dataDir, 'baton.db'), { readonly: true });
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).to.equal(String(SCHEMA_VERSION));
    check.close();
  });

  it('migrates a version 2 file: the partial unfinished index is dropped, and start-up still finds unfinished tasks', async () => {
    const dataDir = temp.make();
    const store = openStore(dataDir);
    const queued = makeTask({ state: 'queued' });
    const done = makeTask({ state: 'succeeded', finishedAtMs: 5 });
    await store.write([{ kind: 'insertTask', task: queued }, { kind: 'insertTask', task: done }]);
    await store.close();
    const db = new Database(path.join(dataDir, 'baton.db'));
    db.exec(`CREATE INDEX tasks_unfinished ON tasks (state) WHERE state IN ('scheduled', 'queued', 'running');
      UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
    db.close();

    const reopened = openStore(dataDir);
    try {
      expect([...reopened.loadUnfinished()].map((task) => task.id)).to.deep.equal([queued.id]);
    } finally {
      await reopened.close();
    }
    const check = new Database(path.join(dataDir, 'baton.db'), { readonly: true });
    expect(check.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'tasks_unfinished'`).pluck().get()).to.equal(0);
    expect(check.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).to.equal(String(SCHEMA_VERSION));
    check.close();
  });

  it('refuses a newer schema version, naming both versions', async () => {
    const dataDir = temp.make();
    await openStore(dataDir).close();
    const db = new Database(path.join(dataDir, 'baton.db'));
    db.prepare(`UPDATE meta SET value = '7' WHERE key = 'schema_version'`).run();
    db.close();
    const err = thrownBy(() => openStore(dataDir));
    expect(err).to.be.instanceOf(FailedPreconditionError);
    expect(err.message).to.contain(`schema version 7, newer than this Baton supports (version ${SCHEMA_VERSION})`);
  });

  it('refuses out-of-range options, naming the key', () => {
    const dataDir = temp.make();
    expect(thrownBy(() => openStore(dataDir, { commitIntervalMs: -1 }))).to.be.instanceOf(ConfigError).with.property('key', 'commitIntervalMs');
    expect(thrownBy(() => openStore(dataDir, { commitMaxBatch: 0 }))).to.be.instanceOf(ConfigError).with.property('key', 'commitMaxBatch');
  });
});
