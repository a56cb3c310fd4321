// The Store on SQLite (better-sqlite3): one lumen.db in WAL mode beside the content-addressed image
// blobs (by default the data directory's images/ folder). better-sqlite3 is synchronous, which
// suits one process writing small rows; the Store interface is asynchronous for the databases that
// are not (PostgreSQL), so these methods only wrap. Every statement is prepared once when the store opens.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { LocalDirectoryBlobStore, type BlobStore } from "../blobs";
import { AlreadyVotedError, asStorageError, NotFoundError, StorageError } from "./errors";
import { probeWritableSync } from "./health";
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
} from "./records";
import { finishedStatuses } from "./records";
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
} from "./rows";
import { migrate } from "./schema";

export interface StoreOptions {
  /** The clock for createdAt and friends; tests set it to write history in the past. */
  now?: () => Date;
  /** Where image bytes go; default: the data directory's images/ folder. */
  blobs?: BlobStore;
}

const generationColumns = `
  id, client_id AS clientId, prompt, prompt_hash AS promptHash, negative_prompt AS negativePrompt,
  params, model, status, owner_tenant AS ownerTenant, owner_user AS ownerUser, error, error_code AS errorCode,
  category, event_seq AS eventSeq, created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt`;
const summaryColumns = `id, generation_id AS generationId, idx AS "index", seed, width, height, blocked, category, event_seq AS eventSeq`;
const imageColumns = `
  id, generation_id AS generationId, idx AS "index", seed, width, height, sha256, bytes,
  created_at AS createdAt`;

/** Named parameters of the owner check: both null means "any owner" (sign-in off). */
const ownerParams = (owner: Owner | undefined) => ({
  ownerTenant: owner?.tenantId ?? null,
  ownerUser: owner?.userId ?? null,
});
const OWNED_BY = `(@ownerTenant IS NULL OR (owner_tenant = @ownerTenant AND owner_user = @ownerUser))`;

const battleColumns = `
  id, client_id AS clientId, prompt_hash AS promptHash, category, left_contender AS leftContender,
  left_settings AS leftSettings, left_image_id AS leftImageId, right_contender AS rightContender,
  right_settings AS rightSettings, right_image_id AS rightImageId, created_at AS createdAt`;
const voteColumns = `
  v.id, v.battle_id AS battleId, v.client_id AS clientId, v.winner, b.left_contender AS "left",
  b.right_contender AS "right", b.category, v.created_at AS createdAt`;

// By code, not `instanceof Database.SqliteError`: the native addon keeps the SqliteError class of
// the first copy of better-sqlite3 loaded in the process, and Jest loads one copy per test file.
const hasCode = (e: unknown, code: string): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
const isForeignKeyError = (e: unknown) => hasCode(e, "SQLITE_CONSTRAINT_FOREIGNKEY");
const isUniqueError = (e: unknown) => hasCode(e, "SQLITE_CONSTRAINT_UNIQUE");

export function openStore(dataDirIn: string, options: StoreOptions = {}): Store {
  const clock = options.now ?? (() => new Date());
  const timestamp = () => clock().toISOString();
  const dataDir = resolve(dataDirIn);
  const imagesDir = join(dataDir, "images");
  // Start-up failures name the path and the cause: "unable to open database file" alone says neither.
  // (A recursive mkdir reports ENOENT where the real cause is EROFS, so the probe goes first.)
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (e) {
    throw asStorageError(e, `cannot create the data directory ${dataDir}`) ?? e;
  }
  const problem = probeWritableSync([dataDir]);
  if (problem)
    throw new StorageError(
      `the data directory cannot be written: ${problem.message}`,
      problem.reason
    );
  if (!options.blobs) {
    try {
      mkdirSync(imagesDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST")
        throw asStorageError(e, `cannot create ${imagesDir}`) ?? e;
    }
  }
  const imagesProblem = options.blobs ? undefined : probeWritableSync([imagesDir]);
  if (imagesProblem)
    throw new StorageError(
      `the data directory cannot be written: ${imagesProblem.message}`,
      imagesProblem.reason
    );
  const files: BlobStore = options.blobs ?? new LocalDirectoryBlobStore(imagesDir);
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, "lumen.db"));
    db.pragma("journal_mode = WAL");
  } catch (e) {
    throw asStorageError(e, `cannot open the database ${join(dataDir, "lumen.db")}`) ?? e;
  }
  db.pragma("synchronous = NORMAL"); // durable at each checkpoint, and safe from corruption, in WAL mode
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);

  const sql = {
    insertGeneration: db.prepare(`
      INSERT INTO generations (id, client_id, prompt, prompt_hash, negative_prompt, params, model, status, owner_tenant, owner_user, job, created_at)
      VALUES (@id, @clientId, @prompt, @promptHash, @negativePrompt, @params, @model, 'queued', @ownerTenant, @ownerUser, @job, @now)`),
    setStatus: db.prepare(`
      UPDATE generations SET
        status = @status,
        error = COALESCE(@error, error),
        error_code = COALESCE(@errorCode, error_code),
        category = COALESCE(@category, category),
        event_seq = COALESCE(@eventSeq, event_seq),
        runs = runs + (@status = 'running'),
        job = CASE WHEN @finished THEN NULL ELSE job END,
        started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, @now) ELSE started_at END,
        finished_at = CASE WHEN @finished THEN @now ELSE finished_at END
      WHERE id = @id`),
    imageHashesOf: db.prepare<[string], { sha256: string }>(
      `SELECT DISTINCT sha256 FROM images WHERE generation_id = ? AND sha256 IS NOT NULL`
    ),
    deleteImagesOf: db.prepare(`DELETE FROM images WHERE generation_id = ?`),
    getGeneration: db.prepare<
      { id: string; ownerTenant: string | null; ownerUser: string | null },
      GenerationRow
    >(`SELECT ${generationColumns} FROM generations WHERE id = @id AND ${OWNED_BY}`),
    listGenerations: db.prepare<
      {
        clientId: string | null;
        ownerTenant: string | null;
        ownerUser: string | null;
        before: string | null;
        limit: number;
      },
      GenerationRow
    >(`
      SELECT ${generationColumns} FROM generations
      WHERE (@clientId IS NULL OR client_id = @clientId) AND ${OWNED_BY}
        AND (@before IS NULL OR (created_at, rowid) < (SELECT created_at, rowid FROM generations WHERE id = @before))
      ORDER BY created_at DESC, rowid DESC
      LIMIT @limit`),
    unfinished: db.prepare<[], UnfinishedRow>(`
      SELECT ${generationColumns}, job, runs, recoveries FROM generations
      WHERE status IN ('queued', 'running') ORDER BY created_at, rowid`),
    requeue: db.prepare<[string], { recoveries: number }>(`
      UPDATE generations SET status = 'queued', recoveries = recoveries + 1, started_at = NULL
      WHERE id = ? AND status IN ('queued', 'running')
      RETURNING recoveries`),
    // The images of several generations at once: their ids as one JSON array.
    imagesOf: db.prepare<[string], SummaryRow>(`
      SELECT ${summaryColumns} FROM images
      WHERE generation_id IN (SELECT value FROM json_each(?))
      ORDER BY generation_id, idx`),
    // A second write of the same (generation, index), from a job run again after its worker died, changes nothing.
    insertImage: db.prepare(`
      INSERT INTO images (id, generation_id, idx, seed, width, height, sha256, bytes, blocked, category, event_seq, created_at)
      VALUES (@id, @generationId, @index, @seed, @width, @height, @sha256, @bytes, @blocked, @category, @eventSeq, @now)
      ON CONFLICT (generation_id, idx) DO NOTHING`),
    imageAt: db.prepare<[string, number], ImageRecord>(
      `SELECT ${imageColumns} FROM images WHERE generation_id = ? AND idx = ? AND blocked = 0`
    ),
    getImage: db.prepare<
      { id: string; ownerTenant: string | null; ownerUser: string | null },
      ImageRecord
    >(`
      SELECT ${imageColumns} FROM images
      WHERE id = @id AND blocked = 0
        AND (@ownerTenant IS NULL OR generation_id IN (
          SELECT id FROM generations WHERE owner_tenant = @ownerTenant AND owner_user = @ownerUser))`),
    hashInUse: db.prepare<[string], { one: number }>(
      `SELECT 1 AS one FROM images WHERE sha256 = ? LIMIT 1`
    ),
    insertFeedback: db.prepare<
      {
        imageId: string;
        generationId: string;
        rating: string;
        comment: string | null;
        clientId: string;
        now: string;
      },
      { id: number }
    >(`
      INSERT INTO feedback (image_id, generation_id, rating, comment, client_id, created_at)
      VALUES (@imageId, @generationId, @rating, @comment, @clientId, @now)
      RETURNING id`),
    insertAudit: db.prepare(`
      INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id, provider, reason)
      VALUES (@now, @clientId, @kind, @category, @promptHash, @prompt, @generationId, @provider, @reason)`),
    listAudit: db.prepare<[number], AuditRecord>(`
      SELECT id, created_at AS createdAt, client_id AS clientId, kind, category, prompt_hash AS promptHash,
             prompt, generation_id AS generationId, provider, reason
      FROM audit ORDER BY created_at DESC, id DESC LIMIT ?`),
    insertBattle: db.prepare(`
      INSERT INTO arena_battles (id, client_id, prompt_hash, category, left_contender, left_settings, left_image_id,
                                 right_contender, right_settings, right_image_id, created_at)
      VALUES (@id, @clientId, @promptHash, @category, @leftContender, @leftSettings, @leftImageId,
              @rightContender, @rightSettings, @rightImageId, @createdAt)`),
    getBattle: db.prepare<[string], BattleRow>(
      `SELECT ${battleColumns} FROM arena_battles WHERE id = ?`
    ),
    insertVote: db.prepare<
      { battleId: string; clientId: string; winner: string; now: string },
      { id: number }
    >(`
      INSERT INTO arena_votes (battle_id, client_id, winner, created_at) VALUES (@battleId, @clientId, @winner, @now)
      RETURNING id`),
    getVote: db.prepare<[number], ArenaVoteRecord>(`
      SELECT ${voteColumns} FROM arena_votes v JOIN arena_battles b ON b.id = v.battle_id WHERE v.id = ?`),
    listVotes: db.prepare<{ category: string | null }, ArenaVoteRecord>(`
      SELECT ${voteColumns} FROM arena_votes v JOIN arena_battles b ON b.id = v.battle_id
      WHERE @category IS NULL OR b.category = @category
      ORDER BY v.id`),
    counts: db.prepare<
      [],
      { generations: number; images: number; feedback: number; audit: number }
    >(`
      SELECT (SELECT count(*) FROM generations) AS generations, (SELECT count(*) FROM images) AS images,
             (SELECT count(*) FROM feedback) AS feedback, (SELECT count(*) FROM audit) AS audit`),
    hashesBefore: db.prepare<[string], { sha256: string }>(`
      SELECT DISTINCT i.sha256 FROM images i JOIN generations g ON g.id = i.generation_id
      WHERE g.created_at < ? AND i.sha256 IS NOT NULL`),
    deleteBefore: db.prepare(`DELETE FROM generations WHERE created_at < ?`),
  };

  const withImages = (rows: GenerationRow[]) =>
    rows.length === 0
      ? []
      : toRecords(rows, sql.imagesOf.all(JSON.stringify(rows.map((r) => r.id))));

  const hashInUse = (sha256: string) => sql.hashInUse.get(sha256) !== undefined;

  const addFeedback = db.transaction((f: Parameters<Store["addFeedback"]>[0]): FeedbackRecord => {
    const image = sql.getImage.get({ id: f.imageId, ...ownerParams(f.owner) });
    if (!image) throw new NotFoundError("image", f.imageId);
    const record = {
      imageId: f.imageId,
      generationId: image.generationId,
      rating: f.rating,
      comment: f.comment ?? null,
      clientId: f.clientId,
      createdAt: timestamp(),
    };
    const { id } = sql.insertFeedback.get({ ...record, now: record.createdAt })!;
    return { id, ...record };
  });

  // Rows go in one transaction; which files lost their last reference is decided inside it, and
  // those files are removed after it commits.
  const purgeRows = db.transaction((cutoff: string) => {
    const hashes = sql.hashesBefore.all(cutoff).map((r) => r.sha256);
    const removed = sql.deleteBefore.run(cutoff).changes;
    return { removed, orphans: hashes.filter((h) => !hashInUse(h)) };
  });

  // A status change, and for "failed" the removal of the generation's images, in one transaction;
  // the files that lost their last reference are removed after it commits.
  const setStatusRows = db.transaction(
    (params: Record<string, unknown> & { id: string; status: GenerationStatus }) => {
      const failed = params.status === "failed";
      const hashes = failed ? sql.imageHashesOf.all(params.id).map((r) => r.sha256) : [];
      if (failed) sql.deleteImagesOf.run(params.id);
      if (sql.setStatus.run(params).changes === 0) throw new NotFoundError("generation", params.id);
      return hashes.filter((h) => !hashInUse(h));
    }
  );

  const removeBlobs = async (hashes: string[]) => {
    for (const sha256 of hashes) await files.remove(sha256);
  };

  const store: Store = {
    blobs: files,
    dirs: [dataDir, ...files.dirs],
    description: `SQLite ${join(dataDir, "lumen.db")}`,

    async createGeneration({ owner, job, ...g }) {
      sql.insertGeneration.run({
        ...g,
        ...ownerParams(owner ?? undefined),
        params: JSON.stringify(g.params),
        job: job === undefined ? null : JSON.stringify(job),
        now: timestamp(),
      });
    },

    async setStatus(id, status: GenerationStatus, detail = {}) {
      const orphans = setStatusRows({
        id,
        status,
        error: detail.error ?? null,
        errorCode: detail.errorCode ?? null,
        category: detail.category ?? null,
        eventSeq: detail.eventSeq ?? null,
        finished: finishedStatuses.includes(status) ? 1 : 0,
        now: timestamp(),
      });
      await removeBlobs(orphans);
    },

    async getGeneration(id, owner) {
      const row = sql.getGeneration.get({ id, ...ownerParams(owner) });
      return row && withImages([row])[0];
    },

    async listGenerations(options = {}) {
      return withImages(
        sql.listGenerations.all({
          clientId: options.clientId ?? null,
          ...ownerParams(options.owner),
          before: options.before ?? null,
          limit: clampLimit(options.limit, 50),
        })
      );
    },

    async unfinishedGenerations() {
      const rows = sql.unfinished.all();
      const records = withImages(rows);
      return records.map((record, i): UnfinishedGeneration => {
        const { job, runs, recoveries } = rows[i];
        return { ...record, job: job === null ? null : JSON.parse(job), runs, recoveries };
      });
    },

    async requeue(id) {
      const row = sql.requeue.get(id);
      if (!row) throw new NotFoundError("generation", id);
      return row.recoveries;
    },

    async addImage(img) {
      const createdAt = timestamp();
      const record = newImageRecord(img, createdAt);
      const sha256 = record.sha256;
      const wrote = await files.put(sha256, img.png);
      let inserted: boolean;
      try {
        inserted =
          sql.insertImage.run({
            ...record,
            blocked: 0,
            category: null,
            eventSeq: img.eventSeq ?? null,
            now: createdAt,
          }).changes === 1;
      } catch (e) {
        if (wrote && !hashInUse(sha256)) await files.remove(sha256);
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
      if (inserted) return record;
      // Written before: the first write stands, and this run's bytes go unless they are in use.
      if (wrote && !hashInUse(sha256)) await files.remove(sha256);
      const existing = sql.imageAt.get(img.generationId, img.index);
      if (!existing) throw new NotFoundError("image", img.id); // the index holds a blocked image
      return existing;
    },

    async addBlockedImage(img) {
      try {
        sql.insertImage.run({
          id: img.id,
          generationId: img.generationId,
          index: img.index,
          seed: img.seed,
          width: img.width ?? null,
          height: img.height ?? null,
          sha256: null,
          bytes: null,
          blocked: 1,
          category: img.category,
          eventSeq: img.eventSeq ?? null,
          now: timestamp(),
        });
      } catch (e) {
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
    },

    async getImage(id, owner) {
      return sql.getImage.get({ id, ...ownerParams(owner) });
    },

    async addFeedback(f) {
      return addFeedback(f);
    },

    async addAudit(a) {
      sql.insertAudit.run({
        ...a,
        generationId: a.generationId ?? null,
        provider: a.provider ?? null,
        reason: a.reason ?? null,
        now: timestamp(),
      });
    },

    async listAudit(options = {}) {
      return sql.listAudit.all(clampLimit(options.limit, 100));
    },

    async addBattle(b) {
      const record: BattleRecord = { ...b, createdAt: timestamp() };
      sql.insertBattle.run({
        id: b.id,
        clientId: b.clientId,
        promptHash: b.promptHash,
        category: b.category,
        leftContender: b.left.contender,
        leftSettings: JSON.stringify(b.left.settings),
        leftImageId: b.left.imageId,
        rightContender: b.right.contender,
        rightSettings: JSON.stringify(b.right.settings),
        rightImageId: b.right.imageId,
        createdAt: record.createdAt,
      });
      return record;
    },

    async getBattle(id) {
      const row = sql.getBattle.get(id);
      return row && toBattle(row);
    },

    async addArenaVote(v) {
      let id: number;
      try {
        ({ id } = sql.insertVote.get({ ...v, now: timestamp() })!);
      } catch (e) {
        if (isForeignKeyError(e)) throw new NotFoundError("battle", v.battleId);
        if (isUniqueError(e)) throw new AlreadyVotedError(v.battleId);
        throw e;
      }
      return sql.getVote.get(id)!;
    },

    async listArenaVotes(options = {}) {
      return sql.listVotes.all({ category: options.category ?? null });
    },

    async counts() {
      return sql.counts.get()!;
    },

    async purgeOlderThan(days, now = clock()) {
      const { removed, orphans } = purgeRows(purgeCutoff(days, now));
      await removeBlobs(orphans);
      return removed;
    },

    async close() {
      if (db.open) db.close();
    },
  };
  return withStorageErrors(store, dataDir);
}

/**
 * The store with every failure of the disk or database under it turned into a StorageError that
 * names the data directory and the cause, so callers can tell "the disk is full" from a bug.
 */
function withStorageErrors(store: Store, dataDir: string): Store {
  const guarded = { ...store };
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== "function") continue;
    (guarded as Record<string, unknown>)[key] = async (...args: unknown[]) => {
      try {
        return await value(...args);
      } catch (e) {
        // A file system error names the file it was about; SQLite's are about the database.
        const path = (e as NodeJS.ErrnoException).path ?? join(dataDir, "lumen.db");
        throw asStorageError(e, path) ?? e;
      }
    };
  }
  return guarded;
}
