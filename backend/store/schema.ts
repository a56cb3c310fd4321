// The database schema as an ordered list of migrations. PRAGMA user_version holds how many have
// run; a new version of the schema is a new entry at the end, never an edit of an old one.
import type { Database } from "better-sqlite3";

export const migrations: readonly string[] = [
  `
  CREATE TABLE generations (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    prompt          TEXT,
    prompt_hash     TEXT NOT NULL,
    negative_prompt TEXT,
    params          TEXT NOT NULL,
    model           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'blocked', 'cancelled', 'failed')),
    error           TEXT,
    category        TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
  );
  CREATE INDEX generations_by_time ON generations (created_at);
  CREATE INDEX generations_by_client ON generations (client_id, created_at);

  CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    seed          INTEGER NOT NULL,
    width         INTEGER,
    height        INTEGER,
    sha256        TEXT,
    bytes         INTEGER,
    blocked       INTEGER NOT NULL DEFAULT 0,
    category      TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (generation_id, idx),
    CHECK (blocked IN (0, 1) AND (blocked = 1 OR sha256 IS NOT NULL))
  );
  CREATE INDEX images_by_sha256 ON images (sha256);

  CREATE TABLE feedback (
    id            INTEGER PRIMARY KEY,
    image_id      TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    rating        TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment       TEXT,
    client_id     TEXT NOT NULL,
    created_at    TEXT NOT NULL
  );
  CREATE INDEX feedback_by_image ON feedback (image_id);
  CREATE INDEX feedback_by_generation ON feedback (generation_id);

  -- No foreign key: audit rows outlive the generations they mention.
  CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('prompt', 'image')),
    category      TEXT NOT NULL,
    prompt_hash   TEXT NOT NULL,
    prompt        TEXT,
    generation_id TEXT
  );
  CREATE INDEX audit_by_time ON audit (created_at);
  `,
  // Ownership, restart recovery and resumable event streams.
  `
  -- Who may see the generation: the signed-in user and tenant; NULL when sign-in is off.
  ALTER TABLE generations ADD COLUMN owner_tenant TEXT;
  ALTER TABLE generations ADD COLUMN owner_user TEXT;
  -- The queued job (JSON) while the generation is unfinished, so a restart can queue it again.
  ALTER TABLE generations ADD COLUMN job TEXT;
  -- Times it started running, and times a restart queued it again.
  ALTER TABLE generations ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE generations ADD COLUMN recoveries INTEGER NOT NULL DEFAULT 0;
  -- The error event's code of a failed generation (internal_error, timeout, storage_unavailable, interrupted).
  ALTER TABLE generations ADD COLUMN error_code TEXT;
  -- Event-stream ids of the final event and of each image's event, so a replay from the store
  -- carries the ids the live stream sent and Last-Event-ID works after the job is forgotten.
  ALTER TABLE generations ADD COLUMN event_seq INTEGER;
  ALTER TABLE images ADD COLUMN event_seq INTEGER;
  CREATE INDEX generations_by_owner ON generations (owner_tenant, owner_user, created_at);
  CREATE INDEX generations_unfinished ON generations (created_at) WHERE status IN ('queued', 'running');
  `,
  // Which safety provider blocked (builtin, azure) and why (a rule or a severity, never the prompt's words).
  `
  ALTER TABLE audit ADD COLUMN provider TEXT;
  ALTER TABLE audit ADD COLUMN reason TEXT;
  `,
  // The arena: battles between two anonymous contenders and the votes on them. No foreign keys to
  // generations: the retention purge removes pictures, but the votes stay for the leaderboard.
  `
  CREATE TABLE arena_battles (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    prompt_hash     TEXT NOT NULL,
    category        TEXT NOT NULL,
    left_contender  TEXT NOT NULL,
    left_settings   TEXT NOT NULL,
    left_image_id   TEXT NOT NULL,
    right_contender TEXT NOT NULL,
    right_settings  TEXT NOT NULL,
    right_image_id  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK (left_contender <> right_contender)
  );

  CREATE TABLE arena_votes (
    id         INTEGER PRIMARY KEY,
    battle_id  TEXT NOT NULL REFERENCES arena_battles (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    winner     TEXT NOT NULL CHECK (winner IN ('left', 'right', 'tie', 'both_bad')),
    created_at TEXT NOT NULL,
    UNIQUE (battle_id, client_id)
  );
  `,
];

export class SchemaVersionError extends Error {
  override name = "SchemaVersionError";
}

/** Runs the migrations the database has not seen, each in its own transaction. */
export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    throw new SchemaVersionError(
      `${db.name} has schema version ${current}, newer than this version of Lumen knows (${migrations.length}); upgrade Lumen`
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
