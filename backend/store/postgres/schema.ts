// The PostgreSQL schema as an ordered list of migrations, the same tables as SQLite's with
// PostgreSQL's types (timestamptz, jsonb, boolean, identity columns). lumen_schema holds how many
// have run; a new version is a new entry at the end, never an edit of an old one. Nodes that start
// together migrate one at a time (an advisory lock), and the pending migrations run in one transaction.
import type { PoolClient } from "pg";
import { SchemaVersionError } from "../schema";

export const migrations: readonly string[] = [
  `
  CREATE TABLE generations (
    id              TEXT PRIMARY KEY,
    -- Insertion order, which breaks ties between equal created_at (SQLite's rowid).
    seq             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    client_id       TEXT NOT NULL,
    prompt          TEXT,
    prompt_hash     TEXT NOT NULL,
    negative_prompt TEXT,
    params          JSONB NOT NULL,
    model           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'blocked', 'cancelled', 'failed')),
    error           TEXT,
    error_code      TEXT,
    category        TEXT,
    owner_tenant    TEXT,
    owner_user      TEXT,
    job             JSONB,
    runs            INTEGER NOT NULL DEFAULT 0,
    recoveries      INTEGER NOT NULL DEFAULT 0,
    event_seq       BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ
  );
  CREATE INDEX generations_by_time ON generations (created_at, seq);
  CREATE INDEX generations_by_client ON generations (client_id, created_at);
  CREATE INDEX generations_by_owner ON generations (owner_tenant, owner_user, created_at);
  CREATE INDEX generations_unfinished ON generations (created_at) WHERE status IN ('queued', 'running');

  CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    seed          BIGINT NOT NULL,
    width         INTEGER,
    height        INTEGER,
    sha256        TEXT,
    bytes         INTEGER,
    blocked       BOOLEAN NOT NULL DEFAULT false,
    category      TEXT,
    event_seq     BIGINT,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (generation_id, idx),
    CHECK (blocked OR sha256 IS NOT NULL)
  );
  CREATE INDEX images_by_sha256 ON images (sha256);

  CREATE TABLE feedback (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    image_id      TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    generation_id TEXT NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    rating        TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment       TEXT,
    client_id     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX feedback_by_image ON feedback (image_id);
  CREATE INDEX feedback_by_generation ON feedback (generation_id);

  -- No foreign key: audit rows outlive the generations they mention.
  CREATE TABLE audit (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at    TIMESTAMPTZ NOT NULL,
    client_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('prompt', 'image')),
    category      TEXT NOT NULL,
    prompt_hash   TEXT NOT NULL,
    prompt        TEXT,
    generation_id TEXT
  );
  CREATE INDEX audit_by_time ON audit (created_at);
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
    left_settings   JSONB NOT NULL,
    left_image_id   TEXT NOT NULL,
    right_contender TEXT NOT NULL,
    right_settings  JSONB NOT NULL,
    right_image_id  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK (left_contender <> right_contender)
  );

  CREATE TABLE arena_votes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    battle_id  TEXT NOT NULL REFERENCES arena_battles (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    winner     TEXT NOT NULL CHECK (winner IN ('left', 'right', 'tie', 'both_bad')),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (battle_id, client_id)
  );
  `,
];

/** Any number: one lock for Lumen's migrations in this database. */
const MIGRATION_LOCK = 0x4c756d656e; // "Lumen"

export async function migrate(client: PoolClient, database: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    // Under the lock: two CREATE TABLE IF NOT EXISTS at once can both try to create it, and one fails.
    await client.query("CREATE TABLE IF NOT EXISTS lumen_schema (version INTEGER NOT NULL)");
    const { rows } = await client.query<{ version: number }>("SELECT version FROM lumen_schema");
    let version = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query("INSERT INTO lumen_schema (version) VALUES (0)");
    if (version > migrations.length) {
      throw new SchemaVersionError(
        `${database} has schema version ${version}, newer than this version of Lumen knows (${migrations.length}); upgrade Lumen`
      );
    }
    for (; version < migrations.length; version++) {
      await client.query(migrations[version]);
      await client.query("UPDATE lumen_schema SET version = $1", [version + 1]);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}
