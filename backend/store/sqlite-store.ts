// The Store on SQLite (better-sqlite3): one lumen.db in WAL mode beside the content-addressed image
// files. better-sqlite3 is synchronous, which suits one process writing small rows; every statement
// is prepared once when the store opens.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { NotFoundError } from "./errors";
import { ImageFiles } from "./image-files";
import type { AuditRecord, FeedbackRecord, GenerationRecord, GenerationStatus, ImageRecord, ImageSummary, Store } from "./records";
import { finishedStatuses } from "./records";
import { migrate } from "./schema";

export interface StoreOptions {
  /** The clock for createdAt and friends; tests set it to write history in the past. */
  now?: () => Date;
}

const DAY_MS = 86_400_000;

const generationColumns = `
  id, client_id AS clientId, prompt, prompt_hash AS promptHash, negative_prompt AS negativePrompt,
  params, model, status, error, category, created_at AS createdAt, started_at AS startedAt,
  finished_at AS finishedAt`;
const summaryColumns = `id, generation_id AS generationId, idx AS "index", seed, width, height, blocked, category`;
const imageColumns = `
  id, generation_id AS generationId, idx AS "index", seed, width, height, sha256, bytes,
  created_at AS createdAt`;

type GenerationRow = Omit<GenerationRecord, "params" | "images"> & { params: string };
type SummaryRow = Omit<ImageSummary, "blocked"> & { generationId: string; blocked: number };

const clampLimit = (limit: number | undefined, fallback: number) =>
  Math.min(1000, Math.max(1, Math.trunc(limit ?? fallback) || fallback));

function isForeignKeyError(e: unknown): boolean {
  return e instanceof Database.SqliteError && e.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const clock = options.now ?? (() => new Date());
  const timestamp = () => clock().toISOString();
  mkdirSync(dataDir, { recursive: true });
  const files = new ImageFiles(join(dataDir, "images"));
  const db = new Database(join(dataDir, "lumen.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL"); // durable at each checkpoint, and safe from corruption, in WAL mode
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);

  const sql = {
    insertGeneration: db.prepare(`
      INSERT INTO generations (id, client_id, prompt, prompt_hash, negative_prompt, params, model, status, created_at)
      VALUES (@id, @clientId, @prompt, @promptHash, @negativePrompt, @params, @model, 'queued', @now)`),
    setStatus: db.prepare(`
      UPDATE generations SET
        status = @status,
        error = COALESCE(@error, error),
        category = COALESCE(@category, category),
        started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, @now) ELSE started_at END,
        finished_at = CASE WHEN @finished THEN @now ELSE finished_at END
      WHERE id = @id`),
    getGeneration: db.prepare<[string], GenerationRow>(`SELECT ${generationColumns} FROM generations WHERE id = ?`),
    listGenerations: db.prepare<{ clientId: string | null; before: string | null; limit: number }, GenerationRow>(`
      SELECT ${generationColumns} FROM generations
      WHERE (@clientId IS NULL OR client_id = @clientId)
        AND (@before IS NULL OR (created_at, rowid) < (SELECT created_at, rowid FROM generations WHERE id = @before))
      ORDER BY created_at DESC, rowid DESC
      LIMIT @limit`),
    // The images of several generations at once: their ids as one JSON array.
    imagesOf: db.prepare<[string], SummaryRow>(`
      SELECT ${summaryColumns} FROM images
      WHERE generation_id IN (SELECT value FROM json_each(?))
      ORDER BY generation_id, idx`),
    insertImage: db.prepare(`
      INSERT INTO images (id, generation_id, idx, seed, width, height, sha256, bytes, blocked, category, created_at)
      VALUES (@id, @generationId, @index, @seed, @width, @height, @sha256, @bytes, @blocked, @category, @now)`),
    getImage: db.prepare<[string], ImageRecord>(`SELECT ${imageColumns} FROM images WHERE id = ? AND blocked = 0`),
    hashInUse: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM images WHERE sha256 = ? LIMIT 1`),
    insertFeedback: db.prepare<
      { imageId: string; generationId: string; rating: string; comment: string | null; clientId: string; now: string },
      { id: number }
    >(`
      INSERT INTO feedback (image_id, generation_id, rating, comment, client_id, created_at)
      VALUES (@imageId, @generationId, @rating, @comment, @clientId, @now)
      RETURNING id`),
    insertAudit: db.prepare(`
      INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id)
      VALUES (@now, @clientId, @kind, @category, @promptHash, @prompt, @generationId)`),
    listAudit: db.prepare<[number], AuditRecord>(`
      SELECT id, created_at AS createdAt, client_id AS clientId, kind, category, prompt_hash AS promptHash,
             prompt, generation_id AS generationId
      FROM audit ORDER BY created_at DESC, id DESC LIMIT ?`),
    counts: db.prepare<[], { generations: number; images: number; feedback: number; audit: number }>(`
      SELECT (SELECT count(*) FROM generations) AS generations, (SELECT count(*) FROM images) AS images,
             (SELECT count(*) FROM feedback) AS feedback, (SELECT count(*) FROM audit) AS audit`),
    hashesBefore: db.prepare<[string], { sha256: string }>(`
      SELECT DISTINCT i.sha256 FROM images i JOIN generations g ON g.id = i.generation_id
      WHERE g.created_at < ? AND i.sha256 IS NOT NULL`),
    deleteBefore: db.prepare(`DELETE FROM generations WHERE created_at < ?`),
  };

  function withImages(rows: GenerationRow[]): GenerationRecord[] {
    if (rows.length === 0) return [];
    const byGeneration = new Map<string, ImageSummary[]>(rows.map((r) => [r.id, []]));
    for (const { generationId, blocked, ...image } of sql.imagesOf.all(JSON.stringify(rows.map((r) => r.id)))) {
      byGeneration.get(generationId)!.push({ ...image, blocked: blocked === 1 });
    }
    return rows.map((row) => ({ ...row, params: JSON.parse(row.params), images: byGeneration.get(row.id)! }));
  }

  const hashInUse = (sha256: string) => sql.hashInUse.get(sha256) !== undefined;

  const addFeedback = db.transaction((f: Parameters<Store["addFeedback"]>[0]): FeedbackRecord => {
    const image = sql.getImage.get(f.imageId);
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

  return {
    createGeneration(g) {
      sql.insertGeneration.run({ ...g, params: JSON.stringify(g.params), now: timestamp() });
    },

    setStatus(id, status: GenerationStatus, detail = {}) {
      const result = sql.setStatus.run({
        id,
        status,
        error: detail.error ?? null,
        category: detail.category ?? null,
        finished: finishedStatuses.includes(status) ? 1 : 0,
        now: timestamp(),
      });
      if (result.changes === 0) throw new NotFoundError("generation", id);
    },

    getGeneration(id) {
      const row = sql.getGeneration.get(id);
      return row && withImages([row])[0];
    },

    listGenerations(options = {}) {
      return withImages(
        sql.listGenerations.all({
          clientId: options.clientId ?? null,
          before: options.before ?? null,
          limit: clampLimit(options.limit, 50),
        }),
      );
    },

    addImage(img) {
      const sha256 = createHash("sha256").update(img.png).digest("hex");
      const wrote = files.put(sha256, img.png);
      const createdAt = timestamp();
      const record: ImageRecord = {
        id: img.id,
        generationId: img.generationId,
        index: img.index,
        seed: img.seed,
        width: img.width,
        height: img.height,
        sha256,
        bytes: img.png.byteLength,
        createdAt,
      };
      try {
        sql.insertImage.run({ ...record, blocked: 0, category: null, now: createdAt });
      } catch (e) {
        if (wrote && !hashInUse(sha256)) files.remove(sha256);
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
      return record;
    },

    addBlockedImage(img) {
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
          now: timestamp(),
        });
      } catch (e) {
        if (isForeignKeyError(e)) throw new NotFoundError("generation", img.generationId);
        throw e;
      }
    },

    getImage(id) {
      const image = sql.getImage.get(id);
      return image && { ...image, path: files.pathFor(image.sha256) };
    },

    addFeedback(f) {
      return addFeedback(f);
    },

    addAudit(a) {
      sql.insertAudit.run({ ...a, generationId: a.generationId ?? null, now: timestamp() });
    },

    listAudit(options = {}) {
      return sql.listAudit.all(clampLimit(options.limit, 100));
    },

    counts() {
      return sql.counts.get()!;
    },

    purgeOlderThan(days, now = clock()) {
      if (!Number.isFinite(days) || days < 0) throw new RangeError(`days must be a non-negative number, not ${days}`);
      const { removed, orphans } = purgeRows(new Date(now.getTime() - days * DAY_MS).toISOString());
      for (const sha256 of orphans) files.remove(sha256);
      return removed;
    },

    close() {
      if (db.open) db.close();
    },
  };
}
