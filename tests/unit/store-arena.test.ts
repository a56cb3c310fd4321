// The store's arena tables: battles, one vote per battle and user, votes kept past the retention purge.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { AlreadyVotedError, NotFoundError, openStore, promptHash, type Store } from "../../backend/store";
import { migrations } from "../../backend/store/schema";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
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

describe("store: arena", () => {
  it("keeps battles with their contenders' settings across reopening", async () => {
    const dir = tempDir();
    let store = openStore(dir, { now: () => new Date("2026-03-01T10:00:00Z") });
    const created = await battle(store, "b1");
    assert.equal(created.createdAt, "2026-03-01T10:00:00.000Z");
    await store.close();
    store = openStore(dir);
    assert.deepEqual(await store.getBattle("b1"), created);
    assert.equal(await store.getBattle("nope"), undefined);
    await store.close();
  });

  it("takes one vote per battle and user; a second is refused and changes nothing", async () => {
    const store = openStore(tempDir());
    await battle(store, "b1");
    const vote = await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "left" });
    assert.deepEqual({ ...vote, createdAt: undefined, id: undefined }, {
      id: undefined,
      battleId: "b1",
      clientId: "alice",
      winner: "left",
      left: "sd15",
      right: "sd21",
      category: "landscape",
      createdAt: undefined,
    });
    await assert.rejects(store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "right" }), AlreadyVotedError);
    await store.addArenaVote({ battleId: "b1", clientId: "bob", winner: "tie" });
    await assert.rejects(store.addArenaVote({ battleId: "b2", clientId: "alice", winner: "left" }), NotFoundError);
    assert.deepEqual((await store.listArenaVotes()).map((v) => [v.clientId, v.winner]), [["alice", "left"], ["bob", "tie"]]);
    await store.close();
  });

  it("lists votes oldest first, all or of one category", async () => {
    const store = openStore(tempDir());
    await battle(store, "b1", "sd15", "sd21", "landscape");
    await battle(store, "b2", "sdxl", "sd15", "people");
    await store.addArenaVote({ battleId: "b2", clientId: "alice", winner: "both_bad" });
    await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "right" });
    assert.deepEqual((await store.listArenaVotes()).map((v) => v.battleId), ["b2", "b1"]);
    assert.deepEqual((await store.listArenaVotes({ category: "landscape" })).map((v) => [v.left, v.right, v.winner]), [["sd15", "sd21", "right"]]);
    assert.deepEqual(await store.listArenaVotes({ category: "animals" }), []);
    await store.close();
  });

  it("refuses a battle of a contender against itself and a bad winner at the database", async () => {
    const dir = tempDir();
    const store = openStore(dir);
    await assert.rejects(battle(store, "b1", "sd15", "sd15"), /CHECK constraint/);
    assert.equal(await store.getBattle("b1"), undefined);
    await battle(store, "b2");
    await store.close();
    const db = new Database(join(dir, "lumen.db"));
    assert.throws(() => db.prepare("INSERT INTO arena_votes (battle_id, client_id, winner, created_at) VALUES ('b2', 'x', 'draw', 'now')").run(), /CHECK constraint/);
    db.close();
  });

  it("keeps votes when the retention purge removes the battles' pictures", async () => {
    const dir = tempDir();
    let t = Date.parse("2026-01-01T00:00:00Z");
    const store = openStore(dir, { now: () => new Date(t) });
    await store.createGeneration({ id: "g1", clientId: "alice", prompt: "a lake", promptHash: promptHash("a lake"), negativePrompt: null, params: {}, model: "sd15" });
    await battle(store, "b1");
    await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "left" });
    t += 40 * 86_400_000;
    assert.equal(await store.purgeOlderThan(30), 1);
    assert.equal((await store.listArenaVotes()).length, 1);
    assert.ok(await store.getBattle("b1"));
    await store.close();
  });

  it("upgrades a database of the first schema version in place", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, "lumen.db"));
    db.exec(migrations[0]);
    db.pragma("user_version = 1");
    db.prepare("INSERT INTO audit (created_at, client_id, kind, category, prompt_hash) VALUES ('2026-01-01', 'a', 'prompt', 'hate', 'h')").run();
    db.close();
    const store = openStore(dir);
    assert.equal((await store.listAudit()).length, 1);
    await battle(store, "b1");
    assert.ok(await store.getBattle("b1"));
    await store.close();
  });
});
