// The Store on PostgreSQL (node-postgres): one database shared by every API node and worker, with
// image bytes in a blob store all of them reach (a shared directory). Statements are grouped by
// table below; a new table is a migration in schema.ts plus its statements and methods here.
import pg from "pg";
import type { BlobStore } from "../../blobs";
import { AlreadyVotedError, asStorageError, NotFoundError, StorageError } from "../errors";
import type {
  ArenaVoteRecord,
  AuditRecord,
  BattleRecord,
  FeedbackRecord,
  GenerationStatus,
  ImageRecord,
  Owner,
  Store,
  UnfinishedGeneration,
} from "../records";
import { finishedStatuses } from "../records";
import {
  clampLimit,
  newImageRecord,
  purgeCutoff,
  toBattle,
  toRecords,
  type BattleRow,
  type GenerationRow,
  type SummaryRow,
  type UnfinishedRow,
} from "../rows";
import { migrate } from "./schema";

export interface PostgresStoreOptions {
  /** postgres://user:password@host:5432/database (LUMEN_DATABASE_URL). */
  url: string;
  blobs: BlobStore;
  now?: () => Date;
  /** Connections per process (default 10). */
  maxConnections?: number;
}

// int8 (counts, identity ids, event ids) as numbers: they stay far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const ts = (column: string, as: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "${as}"`;

const generationColumns = `
  id, client_id AS "clientId", prompt, prompt_hash AS "promptHash", negative_prompt AS "negativePrompt",
  params::text AS params, model, status, owner_tenant AS "ownerTenant", owner_user AS "ownerUser", error, error_code AS "errorCode",
  category, event_seq AS "eventSeq", ${ts("created_at", "createdAt")}, ${ts("started_at", "startedAt")}, ${ts("finished_at", "finishedAt")}`;
const summaryColumns = `id, generation_id AS "generationId", idx AS "index", seed, width, height, blocked, category, event_seq AS "eventSeq"`;
const imageColumns = `id, generation_id AS "generationId", idx AS "index", seed, width, height, sha256, bytes, ${ts("created_at", "createdAt")}`;
const battleColumns = `
  id, client_id AS "clientId", prompt_hash AS "promptHash", category, left_contender AS "leftContender",
  left_settings::text AS "leftSettings", left_image_id AS "leftImageId", right_contender AS "rightContender",
  right_settings::text AS "rightSettings", right_image_id AS "rightImageId", ${ts("created_at", "createdAt")}`;
const voteColumns = `
  v.id, v.battle_id AS "battleId", v.client_id AS "clientId", v.winner, b.left_contender AS "left",
  b.right_contender AS "right", b.category, ${ts("v.created_at", "createdAt")}`;
/** $2, $3: the owner's tenant and user, both null for "any owner" (sign-in off). */
const ownedBy = (tenant: string, user: string) =>
  `(${tenant}::text IS NULL OR (owner_tenant = ${tenant} AND owner_user = ${user}))`;
const ownerParams = (owner: Owner | undefined) => [owner?.tenantId ?? null, owner?.userId ?? null];

const sql = {
  // generations
  insertGeneration: `
    INSERT INTO generations (id, client_id, prompt, prompt_hash, negative_prompt, params, model, status, owner_tenant, owner_user, job, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11)`,
  setStatus: `
    UPDATE generations SET
      status = $2,
      error = COALESCE($3, error),
      error_code = COALESCE($4, error_code),
      category = COALESCE($5, category),
      event_seq = COALESCE($6, event_seq),
      runs = runs + CASE WHEN $2 = 'running' THEN 1 ELSE 0 END,
      job = CASE WHEN $7 THEN NULL ELSE job END,
      started_at = CASE WHEN $2 = 'running' THEN COALESCE(started_at, $8) ELSE started_at END,
      finished_at = CASE WHEN $7 THEN $8 ELSE finished_at END
    WHERE id = $1`,
  getGeneration: `SELECT ${generationColumns} FROM generations WHERE id = $1 AND ${ownedBy("$2", "$3")}`,
  listGenerations: `
    SELECT ${generationColumns} FROM generations
    WHERE ($1::text IS NULL OR client_id = $1) AND ${ownedBy("$2", "$3")}
      AND ($4::text IS NULL OR (created_at, seq) < (SELECT created_at, seq FROM generations WHERE id = $4))
    ORDER BY created_at DESC, seq DESC
    LIMIT $5`,
  unfinished: `
    SELECT ${generationColumns}, job::text AS job, runs, recoveries FROM generations
    WHERE status IN ('queued', 'running') ORDER BY created_at, seq`,
  requeue: `
    UPDATE generations SET status = 'queued', recoveries = recoveries + 1, started_at = NULL
    WHERE id = $1 AND status IN ('queued', 'running')
    RETURNING recoveries`,
  hashesBefore: `
    SELECT DISTINCT i.sha256 FROM images i JOIN generations g ON g.id = i.generation_id
    WHERE g.created_at < $1 AND i.sha256 IS NOT NULL`,
  deleteBefore: `DELETE FROM generations WHERE created_at < $1`,
  // images
  imagesOf: `SELECT ${summaryColumns} FROM images WHERE generation_id = ANY($1) ORDER BY generation_id, idx`,
  imageHashesOf: `SELECT DISTINCT sha256 FROM images WHERE generation_id = $1 AND sha256 IS NOT NULL`,
  deleteImagesOf: `DELETE FROM images WHERE generation_id = $1`,
  // A second write of the same (generation, index), from a job run again after its worker died, changes nothing.
  insertImage: `
    INSERT INTO images (id, generation_id, idx, seed, width, height, sha256, bytes, blocked, category, event_seq, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (generation_id, idx) DO NOTHING`,
  imageAt: `SELECT ${imageColumns} FROM images WHERE generation_id = $1 AND idx = $2 AND NOT blocked`,
  getImage: `
    SELECT ${imageColumns} FROM images
    WHERE id = $1 AND NOT blocked
      AND ($2::text IS NULL OR generation_id IN (SELECT id FROM generations WHERE owner_tenant = $2 AND owner_user = $3))`,
  hashInUse: `SELECT 1 FROM images WHERE sha256 = $1 LIMIT 1`,
  // feedback
  insertFeedback: `
    INSERT INTO feedback (image_id, generation_id, rating, comment, client_id, created_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    RETURNING id`,
  // audit
  insertAudit: `
    INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id, provider, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  listAudit: `
    SELECT id, ${ts("created_at", "createdAt")}, client_id AS "clientId", kind, category, prompt_hash AS "promptHash",
           prompt, generation_id AS "generationId", provider, reason
    FROM audit ORDER BY created_at DESC, id DESC LIMIT $1`,
  // arena
  insertBattle: `
    INSERT INTO arena_battles (id, client_id, prompt_hash, category, left_contender, left_settings, left_image_id,
                               right_contender, right_settings, right_image_id, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
  getBattle: `SELECT ${battleColumns} FROM arena_battles WHERE id = $1`,
  // The vote and what the leaderboard needs of its battle, in one round trip.
  insertVote: `
    WITH v AS (
      INSERT INTO arena_votes (battle_id, client_id, winner, created_at) VALUES ($1, $2, $3, $4)
      RETURNING id, battle_id, client_id, winner, created_at
    )
    SELECT ${voteColumns} FROM v JOIN arena_battles b ON b.id = v.battle_id`,
  listVotes: `
    SELECT ${voteColumns} FROM arena_votes v JOIN arena_battles b ON b.id = v.battle_id
    WHERE $1::text IS NULL OR b.category = $1
    ORDER BY v.id`,
  counts: `
    SELECT (SELECT count(*) FROM generations) AS generations, (SELECT count(*) FROM images) AS images,
           (SELECT count(*) FROM feedback) AS feedback, (SELECT count(*) FROM audit) AS audit`,
};

/** host:port/database of a URL, without its credentials, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(an invalid LUMEN_DATABASE_URL)";
  }
}

/** Connection failures and a full or read-only server: not bugs, but "storage unavailable" (503) for clients. */
const UNAVAILABLE: Record<string, string> = {
  ECONNREFUSED: "the database server refused the connection",
  ECONNRESET: "the connection to the database server was reset",
  ETIMEDOUT: "the database server did not answer",
  ENOTFOUND: "the database server's name does not resolve",
  EHOSTUNREACH: "the database server cannot be reached",
  "53100": "the database server's disk is full",
  "25006": "the database is read-only",
  "57P01": "the database server is shutting down",
  "57P03": "the database server is starting up",
  // pg-pool's plain Error when every connection stayed busy for connectionTimeoutMillis (a burst of requests).
  POOL_TIMEOUT: "no database connection came free in time",
};

function asUnavailable(e: unknown, where: string): StorageError | undefined {
  if (e instanceof StorageError) return e;
  const code = (e as { code?: unknown })?.code;
  const message = String((e as Error)?.message ?? "");
  const reason =
    typeof code === "string" && (code in UNAVAILABLE || code.startsWith("08"))
      ? code
      : /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
            message
          )
        ? "ECONNRESET"
        : /timeout exceeded when trying to connect/i.test(message)
          ? "POOL_TIMEOUT"
          : undefined;
  if (!reason) return undefined;
  return new StorageError(
    `${where}: ${UNAVAILABLE[reason] ?? "the connection to the database failed"} (${reason})`,
    reason,
    { cause: e }
  );
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const clock = options.now ?? (() => new Date());
  const where = `PostgreSQL ${describeUrl(options.url)}`;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    types,
  });
  // An idle connection the server dropped is replaced on the next query; the error is not fatal.
  pool.on("error", () => undefined);
  const files = options.blobs;
  try {
    const client = await pool.connect();
    try {
      await migrate(client, where);
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw asUnavailable(e, `cannot open ${where}`) ?? e;
  }

  const query = <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    pool.query<R>(text, values);
  /** Runs `work` in one transaction on one connection. */
  async function transaction<T>(work: (q: typeof query) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work((text, values = []) => client.query(text, values));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
  const hashInUse = async (sha256: string, q = query) =>
    (await q(sql.hashInUse, [sha256])).rowCount! > 0;
  const isForeignKeyError = (e: unknown) => (e as { code?: string })?.code === "23503";
  const isUniqueError = (e: unknown) => (e as { code?: string })?.code === "23505";
  async function withImages(rows: GenerationRow[]) {
    if (rows.length === 0) return [];
    const images = await query<SummaryRow>(sql.imagesOf, [rows.map((r) => r.id)]);
    return toRecords(rows, images.rows);
  }
  const removeBlobs = async (hashes: string[]) => {
    for (const sha256 of hashes) await files.remove(sha256);
  };

  const store: Store = {
    blobs: files,
    dirs: files.dirs,
    description: where,

    async createGeneration({ owner, job, ...g }) {
      const [tenant, user] = ownerParams(owner ?? undefined);
      await query(sql.insertGeneration, [
        g.id,
        g.clientId,
        g.prompt,
        g.promptHash,
        g.negativePrompt,
        JSON.stringify(g.params),
        g.model,
        tenant,
        user,
        job === undefined ? null : JSON.stringify(job),
        clock(),
      ]);
    },

    async setStatus(id, status: GenerationStatus, detail = {}) {
      const failed = status === "failed";
      const orphans = await transaction(async (q) => {
        const hashes = failed
          ? (await q<{ sha256: string }>(sql.imageHashesOf, [id])).rows.map((r) => r.sha256)
          : [];
        if (failed) await q(sql.deleteImagesOf, [id]);
        const updated = await q(sql.setStatus, [
          id,
          status,
          detail.error ?? null,
          detail.errorCode ?? null,
          detail.category ?? null,
          detail.eventSeq ?? null,
          finishedStatuses.includes(status),
          clock(),
        ]);
        if (updated.rowCount === 0) throw new NotFoundError("generation", id);
        const unused: string[] = [];
        for (const h of hashes) if (!(await hashInUse(h, q))) unused.push(h);
        return unused;
      });
      await removeBlobs(orphans);
    },

    async getGeneration(id, owner) {
      const { rows } = await query<GenerationRow>(sql.getGeneration, [id, ...ownerParams(owner)]);
      return rows.length ? (await withImages(rows))[0] : undefined;
    },

    async listGenerations(options = {}) {
      const { rows } = await query<GenerationRow>(sql.listGenerations, [
        options.clientId ?? null,
        ...ownerParams(options.owner),
        options.before ?? null,
        clampLimit(options.limit, 50),
      ]);
      return withImages(rows);
    },

    async unfinishedGenerations() {
      const { rows } = await query<UnfinishedRow>(sql.unfinished);
      const records = await withImages(rows);
      return records.map((record, i): UnfinishedGeneration => {
        const { job, runs, recoveries } = rows[i];
        return { ...record, job: job === null ? null : JSON.parse(job), runs, recoveries };
      });
    },

    async requeue(id) {
      const { rows } = await query<{ recoveries: number }>(sql.requeue, [id]);
      if (!rows.length) throw new NotFoundError("generation", id);
      return rows[0].recoveries;
    },

    async addImage(img) {
      const now = clock();
      const record = newImageRecord(img, now.toISOString());
      const sha256 = record.sha256;
      const wrote = await files.put(sha256, img.png);
      let inserted: boolean;
      try {
        const result = await query(sql.insertImage, [
          img.id,
          img.generationId,
          img.index,
          img.seed,
          img.width,
          img.height,
          sha256,
          record.bytes,
          false,
          null,
          img.eventSeq ?? null,
          now,
        ]);
        inserted = result.rowCount === 1;
      } catch (e) {
        if (wrote && !(await hashInUse(sha256))) await files.remove(sha256);
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
      if (inserted) return record;
      // Written before: the first write stands, and this run's bytes go unless they are in use.
      if (wrote && !(await hashInUse(sha256))) await files.remove(sha256);
      const { rows } = await query<ImageRecord>(sql.imageAt, [img.generationId, img.index]);
      if (!rows.length) throw new NotFoundError("image", img.id); // the index holds a blocked image
      return rows[0];
    },

    async addBlockedImage(img) {
      try {
        await query(sql.insertImage, [
          img.id,
          img.generationId,
          img.index,
          img.seed,
          img.width ?? null,
          img.height ?? null,
          null,
          null,
          true,
          img.category,
          img.eventSeq ?? null,
          clock(),
        ]);
      } catch (e) {
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
    },

    async getImage(id, owner) {
      const { rows } = await query<ImageRecord>(sql.getImage, [id, ...ownerParams(owner)]);
      return rows[0];
    },

    async addFeedback(f) {
      return transaction(async (q) => {
        const { rows } = await q<ImageRecord>(sql.getImage, [f.imageId, ...ownerParams(f.owner)]);
        if (!rows.length) throw new NotFoundError("image", f.imageId);
        const now = clock();
        const record = {
          imageId: f.imageId,
          generationId: rows[0].generationId,
          rating: f.rating,
          comment: f.comment ?? null,
          clientId: f.clientId,
          createdAt: now.toISOString(),
        };
        const inserted = await q<{ id: number }>(sql.insertFeedback, [
          record.imageId,
          record.generationId,
          record.rating,
          record.comment,
          record.clientId,
          now,
        ]);
        return { id: inserted.rows[0].id, ...record } satisfies FeedbackRecord;
      });
    },

    async addAudit(a) {
      await query(sql.insertAudit, [
        clock(),
        a.clientId,
        a.kind,
        a.category,
        a.promptHash,
        a.prompt,
        a.generationId ?? null,
        a.provider ?? null,
        a.reason ?? null,
      ]);
    },

    async listAudit(options = {}) {
      return (await query<AuditRecord>(sql.listAudit, [clampLimit(options.limit, 100)])).rows;
    },

    async addBattle(b) {
      const now = clock();
      await query(sql.insertBattle, [
        b.id,
        b.clientId,
        b.promptHash,
        b.category,
        b.left.contender,
        JSON.stringify(b.left.settings),
        b.left.imageId,
        b.right.contender,
        JSON.stringify(b.right.settings),
        b.right.imageId,
        now,
      ]);
      return { ...b, createdAt: now.toISOString() } satisfies BattleRecord;
    },

    async getBattle(id) {
      const { rows } = await query<BattleRow>(sql.getBattle, [id]);
      return rows.length ? toBattle(rows[0]) : undefined;
    },

    async addArenaVote(v) {
      try {
        return (
          await query<ArenaVoteRecord>(sql.insertVote, [v.battleId, v.clientId, v.winner, clock()])
        ).rows[0];
      } catch (e) {
        if (isForeignKeyError(e)) throw new NotFoundError("battle", v.battleId);
        if (isUniqueError(e)) throw new AlreadyVotedError(v.battleId);
        throw e;
      }
    },

    async listArenaVotes(options = {}) {
      return (await query<ArenaVoteRecord>(sql.listVotes, [options.category ?? null])).rows;
    },

    async counts() {
      return (
        await query<{ generations: number; images: number; feedback: number; audit: number }>(
          sql.counts
        )
      ).rows[0];
    },

    async purgeOlderThan(days, now = clock()) {
      const cutoff = purgeCutoff(days, now);
      const { removed, orphans } = await transaction(async (q) => {
        const hashes = (await q<{ sha256: string }>(sql.hashesBefore, [cutoff])).rows.map(
          (r) => r.sha256
        );
        const removed = (await q(sql.deleteBefore, [cutoff])).rowCount ?? 0;
        const unused: string[] = [];
        for (const h of hashes) if (!(await hashInUse(h, q))) unused.push(h);
        return { removed, orphans: unused };
      });
      await removeBlobs(orphans);
      return removed;
    },

    async close() {
      await pool.end();
    },
  };

  // Every failure to reach or write the database becomes a StorageError naming the server and the cause.
  const guarded = { ...store };
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== "function" || key === "close") continue;
    (guarded as Record<string, unknown>)[key] = async (...args: unknown[]) => {
      try {
        return await value(...args);
      } catch (e) {
        // A blob store's file system errors name their file.
        throw (
          asUnavailable(e, where) ??
          asStorageError(e, (e as NodeJS.ErrnoException).path ?? files.location) ??
          e
        );
      }
    };
  }
  return guarded;
}
