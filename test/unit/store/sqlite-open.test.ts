import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ConfigError, FailedPreconditionError } from '../../../shared/errors';
import { SCHEMA_VERSION } from '../../../coordinator/store/sqlite-schema';
import { TempDirs, makeAttempt, makeTask, openStore } from './store-fixtures';
import { autoVacuumOf, capturingLogger, disableAutoVacuum, downgradeToVersion3, schemaVersionOf } from './sqlite-file-fixtures';

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
    downgradeToVersion3(path.join(dataDir, 'baton.db'));
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
    downgradeToVersion3(path.join(dataDir, 'baton.db'));
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

  it('migrates a version 3 file: data kept, new fields empty, and the file converted to incremental vacuum once', async () => {
    const dataDir = temp.make();
    const file = path.join(dataDir, 'baton.db');
    const store = openStore(dataDir);
    const done = makeTask({ state: 'succeeded', attempt: 1, idempotencyKey: 'order-1', finishedAtMs: 7, result: Buffer.from('ok') });
    const running = makeTask({ state: 'running', attempt: 1 });
    const attempts = [makeAttempt({ outcome: 'succeeded', endedAtMs: 7 }), makeAttempt({ leaseId: 'lease-2' })];
    await store.write([
      { kind: 'insertTask', task: done },
      { kind: 'putAttempt', taskId: done.id, attempt: attempts[0]! },
      { kind: 'insertTask', task: running },
      { kind: 'putAttempt', taskId: running.id, attempt: attempts[1]! },
    ]);
    await store.close();
    downgradeToVersion3(file);
    expect(autoVacuumOf(file)).to.equal(0);

    const { logger, lines } = capturingLogger();
    const migrated = openStore(dataDir, { logger });
    try {
      // makeTask's tasks have no origin or progress: what the new columns hold for old tasks.
      expect(migrated.getTask(done.id)).to.deep.equal(done);
      expect(migrated.getAttempts(done.id)).to.deep.equal([attempts[0]]);
      expect(migrated.findByIdempotencyKey(done.queue, 'order-1')?.id).to.equal(done.id);
      expect([...migrated.loadUnfinished()]).to.deep.equal([{ ...running, payload: Buffer.alloc(0) }]);
      expect(migrated.loadRunningAttempts()).to.deep.equal(new Map([[running.id, attempts[1]]]));
      // What version 4 added works on the migrated file.
      const scheduled = makeTask({ scheduleName: 'nightly', scheduleFireMs: 5, progress: { fraction: 0.5, message: 'm', atMs: 6 } });
      await migrated.write([
        { kind: 'insertTask', task: scheduled },
        { kind: 'putQueueSettings', queue: 'q', settings: { paused: true } },
        { kind: 'deleteTasks', taskIds: [done.id] },
      ]);
      expect(migrated.listTasks({ schedule: 'nightly' }, 10).tasks.map((t) => t.id)).to.deep.equal([scheduled.id]);
      expect(migrated.getAttempts(done.id)).to.deep.equal([]);
      expect(migrated.loadQueueSettings()).to.deep.equal(new Map([['q', { paused: true }]]));
    } finally {
      await migrated.close();
    }
    expect(schemaVersionOf(file)).to.equal(String(SCHEMA_VERSION));
    expect(autoVacuumOf(file)).to.equal(2);
    const messages = lines.map((line) => line.msg);
    expect(lines.find((line) => line.msg === 'migrated the data file schema')).to.include({ from: 3, to: 4 });
    expect(messages).to.include('converting the data file to incremental vacuum: a one-off VACUUM that rewrites the file');
    expect(lines.find((line) => line.msg === 'converted the data file to incremental vacuum')).to.include({ converted: true });

    // Once: the next open neither migrates nor converts.
    const again = capturingLogger();
    await openStore(dataDir, { logger: again.logger }).close();
    expect(again.lines.map((line) => line.msg).filter((msg) => /migrat|vacuum/.test(String(msg)))).to.deep.equal([]);
  });

  describe('incremental vacuum', () => {
    it('creates new files in incremental vacuum mode', async () => {
      const dataDir = temp.make();
      const { logger, lines } = capturingLogger();
      await openStore(dataDir, { logger }).close();
      expect(autoVacuumOf(path.join(dataDir, 'baton.db'))).to.equal(2);
      expect(lines.filter((line) => /vacuum/.test(String(line.msg)))).to.deep.equal([]); // nothing worth telling
    });

    it('converts a current file that an earlier open could not convert', async () => {
      const dataDir = temp.make();
      const file = path.join(dataDir, 'baton.db');
      const task = makeTask();
      const store = openStore(dataDir);
      await store.write([{ kind: 'insertTask', task }]);
      await store.close();
      disableAutoVacuum(file);
      const reopened = openStore(dataDir);
      try {
        expect(reopened.getTask(task.id)).to.deep.equal(task);
      } finally {
        await reopened.close();
      }
      expect(autoVacuumOf(file)).to.equal(2);
    });

    it('keeps the file bounded under a steady insert and delete load, giving freed pages back', async () => {
      const dataDir = temp.make();
      const file = path.join(dataDir, 'baton.db');
      const payloadBytes = 16 * 1024;
      const perRound = 64; // 1 MiB of payload a round
      const roundBytes = perRound * payloadBytes;
      const rounds = 12;
      const live: string[][] = [];
      const sizes: number[] = [];
      let reclaimed = 0;
      for (let round = 0; round < rounds; round += 1) {
        // Reopened each round: a store holds its file locked, and the file shrinks at the
        // checkpoint that close makes.
        const store = openStore(dataDir, { synchronous: 'NORMAL' });
        try {
          const tasks = Array.from({ length: perRound }, () =>
            makeTask({ state: 'succeeded', finishedAtMs: round, payload: crypto.randomBytes(payloadBytes) }),
          );
          await store.write(tasks.map((task) => ({ kind: 'insertTask' as const, task })));
          live.push(tasks.map((task) => task.id));
          // Keep the two latest rounds: retention deletes the rest.
          if (live.length > 2) await store.write([{ kind: 'deleteTasks', taskIds: live.shift() ?? [] }]);
          reclaimed += store.reclaimSpace(1_000_000);
        } finally {
          await store.close();
        }
        sizes.push(fs.statSync(file).size);
      }
      // 12 MiB written, 2 MiB kept: without the vacuum the file would stay at its peak of 3 MiB.
      const bound = 2 * roundBytes * 1.25 + 256 * 1024;
      expect(Math.max(...sizes), `sizes ${sizes.join(', ')}`).to.be.below(bound);
      expect(reclaimed * 4096).to.be.at.least((rounds - 2) * roundBytes * 0.9);

      const store = openStore(dataDir);
      try {
        await store.write([{ kind: 'deleteTasks', taskIds: live.flat() }]);
        expect(store.reclaimSpace(1_000_000)).to.be.above(0);
      } finally {
        await store.close();
      }
      expect(fs.statSync(file).size).to.be.below(256 * 1024);
    });
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
