// The SQLite store's arena tables where the shared contract (tests/contracts/store.ts) cannot look:
// the database's own checks, and an old database upgraded in place.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "@jest/globals";
import Database from "better-sqlite3";
import { openStore, promptHash, type Store } from "../../backend/store";
import { migrations } from "../../backend/store/schema";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lumen-store-arena-"));
  dirs.push(dir);
  return dir;
}

function battle(store: Store, id: string, left = "sd15", right = "sd21", category = "landscape") {
  return store.addBattle({
    id,
    clientId: "alice",
    promptHash: promptHash("a lake"),
    category,
    left: { contender: left, settings: { model: left, steps: 4 }, imageId: `${id}-l-0` },
    right: { contender: right, settings: { model: right }, imageId: `${id}-r-0` },
  });
}

describe("SQLite store: arena", () => {
  it("refuses a vote with an unknown winner at the database", async () => {
    const dir = tempDir();
    const store = openStore(dir);
    await battle(store, "b1");
    await store.close();
    const db = new Database(join(dir, "lumen.db"));
    assert.throws(
      () =>
        db
          .prepare(
            "INSERT INTO arena_votes (battle_id, client_id, winner, created_at) VALUES ('b1', 'x', 'draw', 'now')"
          )
          .run(),
      /CHECK constraint/
    );
    db.close();
  });

  it("upgrades a database of the first schema version in place", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, "lumen.db"));
    db.exec(migrations[0]);
    db.pragma("user_version = 1");
    db.prepare(
      "INSERT INTO audit (created_at, client_id, kind, category, prompt_hash) VALUES ('2026-01-01', 'a', 'prompt', 'hate', 'h')"
    ).run();
    db.close();
    const store = openStore(dir);
    assert.equal((await store.listAudit()).length, 1);
    await battle(store, "b1");
    assert.ok(await store.getBattle("b1"));
    await store.close();
  });
});
