/**
 * The SQLite schema of a Baton data file. The `meta` table marks the file as Baton's and
 * records its schema version, so that opening refuses a foreign or newer file instead of
 * writing into it.
 */

/** The schema version this code writes and understands. Raise it with a migration. */
export const SCHEMA_VERSION = 3;

/** The `meta` row that identifies a Baton data file. */
export const FORMAT_KEY = 'format';
export const FORMAT_VALUE = 'baton';
export const SCHEMA_VERSION_KEY = 'schema_version';

/** The unfinished states; keep in step with core/task.ts. */
export const UNFINISHED_STATES_SQL = `('scheduled', 'queued', 'running')`;

/**
 * Creates every table and index of version {@link SCHEMA_VERSION}. Run inside the transaction
 * that also writes the meta rows, so a crash never leaves a half-made file that looks valid.
 */
export const CREATE_SCHEMA_SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- A rowid table on purpose: rows carry payload blobs, which WITHOUT ROWID tables store poorly.
CREATE TABLE tasks (
  id                  TEXT PRIMARY KEY,            -- UUIDv7: sorts by creation time as text
  queue               TEXT NOT NULL,
  type                TEXT NOT NULL,
  state               TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'dead', 'canceled')),
  payload             BLOB NOT NULL,               -- immutable: updateTask never rewrites it
  content_type        TEXT NOT NULL,
  priority            INTEGER NOT NULL,
  attempt             INTEGER NOT NULL,
  max_attempts        INTEGER NOT NULL,            -- the cap; RetryTask raises it
  attempt_budget      INTEGER NOT NULL,            -- attempts per run, as submitted
  retry               TEXT NOT NULL,               -- JSON BackoffPolicy
  max_infra_failures  INTEGER,                     -- NULL: infrastructure failures count as attempts
  infra_failures      INTEGER NOT NULL,
  timeout_ms          INTEGER NOT NULL,
  idempotency_key     TEXT,
  labels              TEXT NOT NULL,               -- JSON object of strings
  trace_context       TEXT NOT NULL,               -- JSON object of strings (W3C traceparent, tracestate)
  result              BLOB,
  result_content_type TEXT NOT NULL,
  last_error          TEXT NOT NULL,
  created_at_ms       INTEGER NOT NULL,
  updated_at_ms       INTEGER NOT NULL,
  run_at_ms           INTEGER NOT NULL,
  finished_at_ms      INTEGER
);

-- Idempotent submission: one task per key in each queue, and many tasks without one.
CREATE UNIQUE INDEX tasks_queue_idempotency_key ON tasks (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- listTasks walks these newest first (id DESC) for each filter it is given, without sorting;
-- queue+id also finds each queue's newest task, and queue+state counts a queue's tasks by
-- state (countRecentQueues, countQueue).
CREATE INDEX tasks_queue_id ON tasks (queue, id);
CREATE INDEX tasks_queue_state_id ON tasks (queue, state, id);
-- state+id also finds the unfinished tasks at start-up (loadUnfinished); a partial index of
-- its own would cost every insert and state change a further index write.
CREATE INDEX tasks_state_id ON tasks (state, id);
CREATE INDEX tasks_type_id ON tasks (type, id);

CREATE TABLE attempts (
  task_id       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  number        INTEGER NOT NULL,
  worker_id     TEXT NOT NULL,
  lease_id      TEXT NOT NULL,
  worker_principal TEXT NOT NULL DEFAULT '', -- the credential the worker connected with (token:NAME, cert:CN, anonymous)
  worker_proof  TEXT NOT NULL DEFAULT '',    -- core/worker-admission.ts: who may reclaim the lease after a restart
  started_at_ms INTEGER NOT NULL,
  ended_at_ms   INTEGER,
  outcome       TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'worker_lost', 'canceled')),
  error         TEXT NOT NULL,
  PRIMARY KEY (task_id, number)
) WITHOUT ROWID;
`;

/**
 * The statements that bring a file of version N up to N + 1, keyed by N. Each runs in one
 * transaction with the schema_version update, so a crash leaves the old version intact.
 */
export const MIGRATIONS: ReadonlyMap<number, string> = new Map([
  // Attempts from before version 2 have no proof: their leases cannot be reclaimed, only
  // expire. Idempotency keys become per queue (a key must not reach another queue's task).
  [
    1,
    `ALTER TABLE attempts ADD COLUMN worker_principal TEXT NOT NULL DEFAULT '';
     ALTER TABLE attempts ADD COLUMN worker_proof TEXT NOT NULL DEFAULT '';
     DROP INDEX tasks_idempotency_key;
     CREATE UNIQUE INDEX tasks_queue_idempotency_key ON tasks (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;`,
  ],
  // tasks_state_id serves the start-up scan as well; the partial index only slowed writes.
  [2, `DROP INDEX tasks_unfinished;`],
]);
