/**
 * The SQLite schema of a Baton data file. The `meta` table marks the file as Baton's and
 * records its schema version, so that opening refuses a foreign or newer file instead of
 * writing into it.
 */

/** The schema version this code writes and understands. Raise it with a migration. */
export const SCHEMA_VERSION = 4;

/** The `meta` row that identifies a Baton data file. */
export const FORMAT_KEY = 'format';
export const FORMAT_VALUE = 'baton';
export const SCHEMA_VERSION_KEY = 'schema_version';

/** The unfinished states; keep in step with core/task.ts. */
export const UNFINISHED_STATES_SQL = `('scheduled', 'queued', 'running')`;
/** The finished (terminal) states; keep in step with core/task.ts TERMINAL_STATES. */
export const FINISHED_STATES_SQL = `('succeeded', 'dead', 'canceled')`;

/** Listing a schedule's tasks; partial, since most tasks come from no schedule. */
const TASKS_SCHEDULE_INDEX_SQL = `
CREATE INDEX tasks_schedule_id ON tasks (schedule_name, id) WHERE schedule_name IS NOT NULL;`;

/**
 * A schedule: its spec a column per field (the cadence as a kind and the one of
 * cron_expression or interval_ms that it uses), then the state that survives restarts.
 */
const SCHEDULES_SQL = `
CREATE TABLE schedules (
  name               TEXT PRIMARY KEY,
  cadence_kind       TEXT NOT NULL CHECK (cadence_kind IN ('cron', 'every')),
  cron_expression    TEXT CHECK ((cadence_kind = 'cron') = (cron_expression IS NOT NULL)),
  interval_ms        INTEGER CHECK ((cadence_kind = 'every') = (interval_ms IS NOT NULL)),
  timezone           TEXT NOT NULL,               -- IANA zone
  queue              TEXT NOT NULL,               -- the task template, as tasks columns
  type               TEXT NOT NULL,
  payload            BLOB NOT NULL,
  content_type       TEXT NOT NULL,
  priority           INTEGER NOT NULL,
  max_attempts       INTEGER NOT NULL,
  retry              TEXT NOT NULL,               -- JSON BackoffPolicy
  max_infra_failures INTEGER,
  timeout_ms         INTEGER NOT NULL,
  labels             TEXT NOT NULL,               -- JSON object of strings
  overlap            TEXT NOT NULL CHECK (overlap IN ('allow', 'skip', 'buffer_one')),
  catch_up           TEXT NOT NULL CHECK (catch_up IN ('skip', 'one', 'all')),
  catch_up_limit     INTEGER NOT NULL,
  start_at_ms        INTEGER,
  end_at_ms          INTEGER,
  jitter_ms          INTEGER NOT NULL,
  paused             INTEGER NOT NULL CHECK (paused IN (0, 1)),
  last_fire_ms       INTEGER NOT NULL,
  skipped_fires      INTEGER NOT NULL,
  buffered_fire_ms   INTEGER,
  created_at_ms      INTEGER NOT NULL,
  updated_at_ms      INTEGER NOT NULL
);`;

/** What UpdateQueue stored for a queue; a queue without a row has only its configured settings. */
const QUEUE_SETTINGS_SQL = `
CREATE TABLE queue_settings (
  queue         TEXT PRIMARY KEY,
  settings      TEXT NOT NULL,                    -- JSON QueueSettingsOverride: the fields set, never an empty object
  updated_at_ms INTEGER NOT NULL                  -- wall clock at the write, for someone inspecting the file
);`;

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
  finished_at_ms      INTEGER,
  schedule_name       TEXT,                        -- the schedule whose fire submitted the task; written at insert only
  schedule_fire_ms    INTEGER,                     -- the fire time the task stands for; NULL unless schedule_name is set
  progress_fraction   REAL,                        -- the latest progress report: all three NULL for none
  progress_message    TEXT,
  progress_at_ms      INTEGER,
  fairness_key        TEXT                         -- the tenant within the queue (round robin across keys); written at insert only
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
${TASKS_SCHEDULE_INDEX_SQL}

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
${SCHEDULES_SQL}
${QUEUE_SETTINGS_SQL}
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
  // Schedules, queue settings, progress, fairness keys. The file is also converted to incremental vacuum,
  // which takes a VACUUM outside any transaction (sqlite-vacuum.ts), after this commits.
  [
    3,
    `ALTER TABLE tasks ADD COLUMN schedule_name TEXT;
     ALTER TABLE tasks ADD COLUMN schedule_fire_ms INTEGER;
     ALTER TABLE tasks ADD COLUMN progress_fraction REAL;
     ALTER TABLE tasks ADD COLUMN progress_message TEXT;
     ALTER TABLE tasks ADD COLUMN progress_at_ms INTEGER;
     ALTER TABLE tasks ADD COLUMN fairness_key TEXT;
     ${TASKS_SCHEDULE_INDEX_SQL}
     ${SCHEDULES_SQL}
     ${QUEUE_SETTINGS_SQL}`,
  ],
]);
