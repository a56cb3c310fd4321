import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { openStore, promptHash, StorageError } from "../../backend/store";
import { migrations } from "../../backend/store/schema";
import { storeContract } from "../contracts/store";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lumen-store-"));
  dirs.push(dir);
  return dir;
}

// Each store in its own data directory; reopening opens the same lumen.db.
const dataDirs = new WeakMap<object, string>();
storeContract("SQLite", {
  async open({ now, blobs }) {
    const dir = tempDir();
    const store = openStore(dir, { now, blobs });
    dataDirs.set(store, dir);
    return store;
  },
  async reopen(store, { blobs }) {
    await store.close();
    const again = openStore(dataDirs.get(store)!, { blobs });
    dataDirs.set(again, dataDirs.get(store)!);
    return again;
  },
});

describe("SQLite store", () => {
  it("keeps images in the data directory by default, with WAL, foreign keys and the schema version", async () => {
    const dir = tempDir();
    const store = openStore(dir);
    await store.createGeneration({
      id: "g1",
      clientId: "c",
      prompt: "p",
      promptHash: promptHash("p"),
      negativePrompt: null,
      params: {},
      model: "m",
    });
    const image = await store.addImage({
      id: "g1-0",
      generationId: "g1",
      index: 0,
      seed: 1,
      width: 8,
      height: 8,
      png: Buffer.from("png"),
    });
    expect(store.dirs).toStrictEqual([dir, join(dir, "images")]);
    expect(await store.blobs.get(image.sha256)).toStrictEqual(Buffer.from("png"));
    assert.equal(store.blobs.location, join(dir, "images"));
    assert.match(store.description, /^SQLite .*lumen\.db$/);
    await store.close();

    const db = new Database(join(dir, "lumen.db"), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), migrations.length);
    db.close();
  });

  it("refuses a database from a newer version of the schema", async () => {
    const dir = tempDir();
    await openStore(dir).close();
    const db = new Database(join(dir, "lumen.db"));
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    assert.throws(() => openStore(dir), /newer than this version of Lumen/);
  });

  it("upgrades a database of the first schema version, keeping its rows", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, "lumen.db"));
    db.exec(migrations[0]);
    db.pragma("user_version = 1");
    db.prepare(
      `INSERT INTO generations (id, client_id, prompt_hash, params, model, status, created_at) VALUES ('old', 'c', 'h', '{}', 'm', 'running', '2026-01-01T00:00:00.000Z')`
    ).run();
    db.close();
    const store = openStore(dir);
    const [old] = await store.unfinishedGenerations();
    expect([old.id, old.status, old.job, old.owner, old.runs, old.eventSeq]).toStrictEqual([
      "old",
      "running",
      null,
      null,
      0,
      null,
    ]);
    await store.close();
  });

  it("upgrades a database of the schema before audit providers: audit rows keep their data, with no provider or reason", async () => {
    // The version before the migration that adds the audit's provider and reason columns is the last one without them.
    const version = migrations.findIndex((m) =>
      m.includes("ALTER TABLE audit ADD COLUMN provider")
    );
    assert.ok(version > 1);
    const dir = tempDir();
    const db = new Database(join(dir, "lumen.db"));
    for (const migration of migrations.slice(0, version)) db.exec(migration);
    db.pragma(`user_version = ${version}`);
    assert.equal(
      (
        db
          .prepare(
            "SELECT count(*) AS n FROM pragma_table_info('audit') WHERE name IN ('provider', 'reason')"
          )
          .get() as { n: number }
      ).n,
      0
    );
    db.prepare(
      "INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ).run("2025-12-31T00:00:00.000Z", "carol", "prompt", "sexual", promptHash("old"), null, null);
    db.close();
    const store = openStore(dir);
    const [row] = await store.listAudit();
    expect([row.clientId, row.category, row.provider, row.reason]).toStrictEqual([
      "carol",
      "sexual",
      null,
      null,
    ]);
    await store.addAudit({
      clientId: "dave",
      kind: "prompt",
      category: "hate",
      promptHash: promptHash("new"),
      prompt: null,
      provider: "azure",
      reason: "Hate severity 6 (blocks at 4)",
    });
    expect((await store.listAudit()).map((r) => [r.clientId, r.provider])).toStrictEqual([
      ["dave", "azure"],
      ["carol", null],
    ]);
    await store.close();
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
        assert.match(
          e.message,
          new RegExp(`${join(file, "data")}: a part of the path is not a directory \\(ENOTDIR\\)`)
        );
        return true;
      }
    );
  });

  it("hashes prompts as SHA-256 of their NFC form", () => {
    assert.equal(
      promptHash("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert.equal(promptHash("cafe\u0301"), promptHash("caf\u00e9"));
  });
});
