import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { NotFoundError, openStore, promptHash, StorageError, type Owner, type Store } from "../../backend/store";
import { migrations } from "../../backend/store/schema";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lumen-store-"));
  dirs.push(dir);
  return dir;
}

/** A clock the test moves by hand. */
function manualClock(start = "2026-01-01T00:00:00.000Z") {
  let t = Date.parse(start);
  return { now: () => new Date(t), advanceDays: (days: number) => (t += days * 86_400_000), set: (iso: string) => (t = Date.parse(iso)) };
}

function newGeneration(store: Store, id: string, clientId = "alice", prompt: string | null = "a lake at dusk") {
  store.createGeneration({
    id,
    clientId,
    prompt,
    promptHash: promptHash(prompt ?? "a lake at dusk"),
    negativePrompt: null,
    params: { steps: 4, n: 2, width: 512, height: 512 },
    model: "lumen-landscapes",
  });
}

const png = (fill: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, fill, fill, fill]);

const imageFiles = (dataDir: string) =>
  existsSync(join(dataDir, "images"))
    ? readdirSync(join(dataDir, "images"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)
    : [];

describe("store", () => {
  it("keeps history across closing and reopening, with WAL, foreign keys and the schema version", () => {
    const dir = tempDir();
    const clock = manualClock();
    let store = openStore(dir, clock);
    newGeneration(store, "g1");
    store.setStatus("g1", "running");
    clock.advanceDays(0.0001);
    store.addImage({ id: "g1-0", generationId: "g1", index: 0, seed: 7, width: 512, height: 512, png: png(1) });
    store.addBlockedImage({ id: "g1-1", generationId: "g1", index: 1, seed: 8, category: "violence" });
    store.setStatus("g1", "done");
    store.close();

    store = openStore(dir);
    const g = store.getGeneration("g1")!;
    assert.equal(g.status, "done");
    assert.equal(g.prompt, "a lake at dusk");
    assert.equal(g.promptHash, promptHash("a lake at dusk"));
    assert.deepEqual(g.params, { steps: 4, n: 2, width: 512, height: 512 });
    assert.equal(g.createdAt, "2026-01-01T00:00:00.000Z");
    assert.equal(g.startedAt, "2026-01-01T00:00:00.000Z");
    assert.equal(g.finishedAt, new Date(Date.parse("2026-01-01") + 8640).toISOString());
    assert.deepEqual(g.images, [
      { id: "g1-0", index: 0, seed: 7, width: 512, height: 512, blocked: false, category: null, eventSeq: null },
      { id: "g1-1", index: 1, seed: 8, width: null, height: null, blocked: true, category: "violence", eventSeq: null },
    ]);
    const image = store.getImage("g1-0")!;
    assert.deepEqual(readFileSync(image.path), png(1));
    assert.equal(store.getImage("g1-1"), undefined, "a blocked image has no file to serve");
    store.close();

    const db = new Database(join(dir, "lumen.db"), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), migrations.length);
    db.close();
  });

  it("sets status details; an unknown generation throws NotFoundError", () => {
    const dir = tempDir();
    const store = openStore(dir);
    newGeneration(store, "g1");
    store.setStatus("g1", "failed", { error: "generation failed" });
    const g = store.getGeneration("g1")!;
    assert.equal(g.error, "generation failed");
    assert.ok(g.finishedAt);
    assert.throws(() => store.setStatus("nope", "done"), NotFoundError);
    assert.throws(
      () => store.addImage({ id: "x", generationId: "nope", index: 0, seed: 1, width: 8, height: 8, png: png(9) }),
      NotFoundError,
    );
    assert.deepEqual(imageFiles(dir), [], "the file of a refused image is not left behind");
    store.close();
  });

  it("lists generations newest first, by client, in pages", () => {
    const clock = manualClock();
    const store = openStore(tempDir(), clock);
    for (let i = 1; i <= 5; i++) {
      newGeneration(store, `g${i}`, i % 2 ? "alice" : "bob");
      if (i !== 3) clock.advanceDays(1); // g3 and g4 share a timestamp: insertion order breaks the tie
    }
    assert.deepEqual(store.listGenerations().map((g) => g.id), ["g5", "g4", "g3", "g2", "g1"]);
    assert.deepEqual(store.listGenerations({ clientId: "alice" }).map((g) => g.id), ["g5", "g3", "g1"]);
    const page1 = store.listGenerations({ limit: 2 });
    const page2 = store.listGenerations({ limit: 2, before: page1.at(-1)!.id });
    const page3 = store.listGenerations({ limit: 2, before: page2.at(-1)!.id });
    assert.deepEqual([page1, page2, page3].map((p) => p.map((g) => g.id)), [["g5", "g4"], ["g3", "g2"], ["g1"]]);
    assert.deepEqual(store.listGenerations({ before: "unknown" }), []);
    store.close();
  });

  it("stores images content-addressed: the same bytes make one file", () => {
    const dir = tempDir();
    const store = openStore(dir);
    newGeneration(store, "g1");
    newGeneration(store, "g2");
    const a = store.addImage({ id: "a", generationId: "g1", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    const b = store.addImage({ id: "b", generationId: "g2", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    const c = store.addImage({ id: "c", generationId: "g2", index: 1, seed: 2, width: 8, height: 8, png: png(2) });
    assert.equal(a.sha256, b.sha256);
    assert.equal(store.getImage("a")!.path, store.getImage("b")!.path);
    assert.equal(store.getImage("a")!.path, join(dir, "images", a.sha256.slice(0, 2), `${a.sha256}.png`));
    assert.notEqual(c.sha256, a.sha256);
    assert.deepEqual(imageFiles(dir).sort(), [`${a.sha256}.png`, `${c.sha256}.png`].sort(), "no temporary files are left");
    assert.equal(store.counts().images, 3);
    store.close();
  });

  it("purges by age, keeping a file that a kept image still uses", () => {
    const dir = tempDir();
    const clock = manualClock("2026-01-01T00:00:00.000Z");
    const store = openStore(dir, clock);
    newGeneration(store, "old");
    store.addImage({ id: "old-0", generationId: "old", index: 0, seed: 1, width: 8, height: 8, png: png(1) }); // shared
    store.addImage({ id: "old-1", generationId: "old", index: 1, seed: 2, width: 8, height: 8, png: png(2) }); // only old
    store.addBlockedImage({ id: "old-2", generationId: "old", index: 2, seed: 3, category: "gore" });
    clock.set("2026-01-20T00:00:00.000Z");
    newGeneration(store, "new");
    store.addImage({ id: "new-0", generationId: "new", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    store.addFeedback({ imageId: "old-0", rating: "up", clientId: "alice" });
    store.addFeedback({ imageId: "new-0", rating: "down", clientId: "alice" });
    store.addAudit({ clientId: "alice", kind: "image", category: "gore", promptHash: promptHash("x"), prompt: null, generationId: "old" });
    const shared = store.getImage("new-0")!;
    const onlyOld = store.getImage("old-1")!;

    assert.equal(store.purgeOlderThan(30, new Date("2026-01-31T00:00:00.000Z")), 0, "nothing is 30 days old yet");
    assert.equal(store.purgeOlderThan(30, new Date("2026-02-01T00:00:00.001Z")), 1);
    assert.equal(store.getGeneration("old"), undefined);
    assert.equal(store.getImage("old-0"), undefined);
    assert.ok(store.getGeneration("new"));
    assert.ok(existsSync(shared.path), "a file still used by a kept image stays");
    assert.ok(!existsSync(onlyOld.path), "a file no longer used goes");
    assert.deepEqual(store.counts(), { generations: 1, images: 1, feedback: 1, audit: 1 });

    clock.set("2026-03-01T00:00:00.000Z");
    assert.equal(store.purgeOlderThan(30), 1, "now defaults to the store's clock");
    assert.ok(!existsSync(shared.path));
    assert.deepEqual(store.counts(), { generations: 0, images: 0, feedback: 0, audit: 1 });
    assert.throws(() => store.purgeOlderThan(-1), RangeError);
    store.close();
  });

  it("stores feedback with the image's generation; an unknown image throws NotFoundError and changes nothing", () => {
    const store = openStore(tempDir(), manualClock());
    newGeneration(store, "g1");
    store.addImage({ id: "g1-0", generationId: "g1", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    store.addBlockedImage({ id: "g1-1", generationId: "g1", index: 1, seed: 2, category: "sexual", width: 8, height: 8 });
    const f = store.addFeedback({ imageId: "g1-0", rating: "up", comment: "lovely", clientId: "bob" });
    assert.deepEqual(f, {
      id: f.id,
      imageId: "g1-0",
      generationId: "g1",
      rating: "up",
      comment: "lovely",
      clientId: "bob",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    const before = store.counts();
    assert.throws(() => store.addFeedback({ imageId: "nope", rating: "down", clientId: "bob" }), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.entity, "image");
      assert.equal(e.id, "nope");
      return true;
    });
    assert.throws(() => store.addFeedback({ imageId: "g1-1", rating: "down", clientId: "bob" }), NotFoundError, "a blocked image cannot be rated");
    assert.deepEqual(store.counts(), before);
    store.close();
  });

  it("keeps audit rows newest first, with prompt null when its text is not stored, and the provider that blocked", () => {
    const clock = manualClock();
    const store = openStore(tempDir(), clock);
    store.addAudit({ clientId: "alice", kind: "prompt", category: "violence", promptHash: promptHash("bad"), prompt: null });
    clock.advanceDays(1);
    store.addAudit({ clientId: "bob", kind: "prompt", category: "hate", promptHash: promptHash("worse"), prompt: "worse", provider: "azure", reason: "Hate severity 6 (blocks at 4)" });
    const rows = store.listAudit();
    assert.deepEqual(
      rows.map(({ id: _, ...r }) => r),
      [
        { createdAt: "2026-01-02T00:00:00.000Z", clientId: "bob", kind: "prompt", category: "hate", promptHash: promptHash("worse"), prompt: "worse", generationId: null, provider: "azure", reason: "Hate severity 6 (blocks at 4)" },
        { createdAt: "2026-01-01T00:00:00.000Z", clientId: "alice", kind: "prompt", category: "violence", promptHash: promptHash("bad"), prompt: null, generationId: null, provider: null, reason: null },
      ],
    );
    assert.equal(store.listAudit({ limit: 1 }).length, 1);
    store.close();
  });

  it("hashes prompts as SHA-256 of their NFC form", () => {
    assert.equal(promptHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(promptHash("cafe\u0301"), promptHash("caf\u00e9"));
  });

  it("upgrades a database of the first schema, and one of the schema before audit providers: audit rows keep their data, with no provider or reason", () => {
    // Version 1 is the first release's schema; the version before the migration that adds the
    // audit's provider and reason columns is the last one without them.
    const beforeProviders = migrations.findIndex((m) => m.includes("ALTER TABLE audit ADD COLUMN provider"));
    assert.ok(beforeProviders > 1);
    for (const version of [1, beforeProviders]) {
      const dir = tempDir();
      const db = new Database(join(dir, "lumen.db"));
      for (const migration of migrations.slice(0, version)) db.exec(migration);
      db.pragma(`user_version = ${version}`);
      assert.equal(
        (db.prepare("SELECT count(*) AS n FROM pragma_table_info('audit') WHERE name IN ('provider', 'reason')").get() as { n: number }).n,
        0,
      );
      db.prepare(
        "INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run("2025-12-31T00:00:00.000Z", "carol", "prompt", "sexual", promptHash("old"), null, null);
      db.close();
      const store = openStore(dir);
      const [row] = store.listAudit();
      assert.deepEqual([row.clientId, row.category, row.provider, row.reason], ["carol", "sexual", null, null], `from version ${version}`);
      store.addAudit({ clientId: "dave", kind: "prompt", category: "hate", promptHash: promptHash("new"), prompt: null, provider: "azure", reason: "Hate severity 6 (blocks at 4)" });
      assert.deepEqual(store.listAudit().map((r) => [r.clientId, r.provider]), [["dave", "azure"], ["carol", null]], `from version ${version}`);
      store.close();
    }
  });

  it("refuses a database from a newer version of the schema", () => {
    const dir = tempDir();
    openStore(dir).close();
    const db = new Database(join(dir, "lumen.db"));
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    assert.throws(() => openStore(dir), /newer than this version of Lumen/);
  });

  it("keeps a generation to its owner: others (another user, another tenant) find nothing", () => {
    const store = openStore(tempDir());
    const ada: Owner = { tenantId: "t1", userId: "ada" };
    const bob: Owner = { tenantId: "t1", userId: "bob" };
    const adaElsewhere: Owner = { tenantId: "t2", userId: "ada" };
    store.createGeneration({ id: "g1", clientId: "t1:ada", prompt: "a lake", promptHash: promptHash("a lake"), negativePrompt: null, params: {}, model: "m", owner: ada });
    store.addImage({ id: "g1-0", generationId: "g1", index: 0, seed: 1, width: 8, height: 8, png: png(1) });

    assert.deepEqual(store.getGeneration("g1", ada)?.owner, ada);
    assert.ok(store.getGeneration("g1"), "without an owner to check (sign-in off) the id is enough");
    for (const other of [bob, adaElsewhere]) {
      assert.equal(store.getGeneration("g1", other), undefined);
      assert.equal(store.getImage("g1-0", other), undefined);
      assert.deepEqual(store.listGenerations({ owner: other }), []);
      assert.throws(() => store.addFeedback({ imageId: "g1-0", rating: "down", clientId: "x", owner: other }), NotFoundError);
    }
    assert.ok(store.getImage("g1-0", ada));
    assert.deepEqual(store.listGenerations({ owner: ada }).map((g) => g.id), ["g1"]);
    assert.equal(store.addFeedback({ imageId: "g1-0", rating: "up", clientId: "t1:ada", owner: ada }).generationId, "g1");
    assert.equal(store.counts().feedback, 1);
    store.close();
  });

  it("keeps no images of a failed generation: rows and unshared files go, a file another generation uses stays", () => {
    const dir = tempDir();
    const store = openStore(dir);
    newGeneration(store, "g1");
    newGeneration(store, "g2");
    store.addImage({ id: "g1-0", generationId: "g1", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    store.addImage({ id: "g1-1", generationId: "g1", index: 1, seed: 2, width: 8, height: 8, png: png(2) });
    store.addBlockedImage({ id: "g1-2", generationId: "g1", index: 2, seed: 3, category: "gore" });
    const shared = store.addImage({ id: "g2-0", generationId: "g2", index: 0, seed: 1, width: 8, height: 8, png: png(1) });
    const only = store.getImage("g1-1")!.path;

    store.setStatus("g1", "failed", { error: "images could not be stored", errorCode: "storage_unavailable", eventSeq: 9 });
    const g = store.getGeneration("g1")!;
    assert.deepEqual([g.status, g.error, g.errorCode, g.eventSeq, g.images], ["failed", "images could not be stored", "storage_unavailable", 9, []]);
    assert.ok(!existsSync(only));
    assert.ok(existsSync(store.getImage("g2-0")!.path));
    assert.deepEqual(imageFiles(dir), [`${shared.sha256}.png`]);
    store.close();
  });

  it("keeps the job of an unfinished generation for recovery, counts runs and recoveries, and drops the job when it finishes", () => {
    const clock = manualClock();
    const store = openStore(tempDir(), clock);
    const job = { id: "g1", request: { prompt: "a lake", seed: 5, n: 2 } };
    store.createGeneration({ id: "g1", clientId: "c", prompt: "a lake", promptHash: promptHash("a lake"), negativePrompt: null, params: {}, model: "m", job });
    clock.advanceDays(0.001);
    newGeneration(store, "g2");
    clock.advanceDays(0.001);
    newGeneration(store, "g3");
    store.setStatus("g1", "running");
    store.addImage({ id: "g1-0", generationId: "g1", index: 0, seed: 5, width: 8, height: 8, png: png(1), eventSeq: 7 });
    store.setStatus("g3", "done", { eventSeq: 4 });

    const unfinished = store.unfinishedGenerations();
    assert.deepEqual(unfinished.map((g) => [g.id, g.status, g.runs, g.recoveries]), [["g1", "running", 1, 0], ["g2", "queued", 0, 0]]);
    assert.deepEqual(unfinished[0].job, job);
    assert.equal(unfinished[1].job, null, "no job was kept for g2");
    assert.deepEqual(unfinished[0].images.map((i) => [i.id, i.eventSeq]), [["g1-0", 7]]);

    assert.equal(store.requeue("g1"), 1);
    assert.equal(store.getGeneration("g1")!.status, "queued");
    assert.equal(store.getGeneration("g1")!.startedAt, null);
    assert.throws(() => store.requeue("g3"), NotFoundError, "a finished generation is not queued again");
    store.setStatus("g1", "running");
    assert.deepEqual(store.unfinishedGenerations().map((g) => [g.id, g.runs, g.recoveries]), [["g1", 2, 1], ["g2", 0, 0]]);
    store.setStatus("g1", "done", { eventSeq: 12 });
    assert.deepEqual(store.unfinishedGenerations().map((g) => g.id), ["g2"]);
    assert.equal(store.getGeneration("g1")!.eventSeq, 12);
    store.close();
  });

  it("upgrades a database of the first schema version, keeping its rows", () => {
    const dir = tempDir();
    const db = new Database(join(dir, "lumen.db"));
    db.exec(migrations[0]);
    db.pragma("user_version = 1");
    db.prepare(`INSERT INTO generations (id, client_id, prompt_hash, params, model, status, created_at) VALUES ('old', 'c', 'h', '{}', 'm', 'running', '2026-01-01T00:00:00.000Z')`).run();
    db.close();
    const store = openStore(dir);
    const [old] = store.unfinishedGenerations();
    assert.deepEqual([old.id, old.status, old.job, old.owner, old.runs, old.eventSeq], ["old", "running", null, null, 0, null]);
    store.close();
  });

  it("fails to open with a StorageError that names the directory and the cause", () => {
    // A file where a directory of the path should be: mkdir fails with ENOTDIR, as it would on a
    // data directory path that points into a file by mistake.
    const file = join(tempDir(), "not-a-directory");
    writeFileSync(file, "");
    assert.throws(
      () => openStore(join(file, "data")),
      (e: unknown) => {
        assert.ok(e instanceof StorageError, String(e));
        assert.equal(e.reason, "ENOTDIR");
        assert.match(e.message, new RegExp(`${join(file, "data")}: a part of the path is not a directory \\(ENOTDIR\\)`));
        return true;
      },
    );
  });
});
