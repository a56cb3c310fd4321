// The Store contract on a real PostgreSQL server started for this file, plus what only
// PostgreSQL does: migrations shared by several nodes, and a server that goes away.
import { strict as assert } from "node:assert";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { LocalDirectoryBlobStore } from "../../backend/blobs";
import { promptHash, StorageError } from "../../backend/store";
import { migrations } from "../../backend/store/postgres/schema";
import { openPostgresStore } from "../../backend/store/postgres/store";
import { storeContract } from "../contracts/store";
import { havePostgres, startPostgres, type PostgresServer } from "../helpers/services";
import { describeUnless } from "../helpers/skip";

const skip =
  havePostgres || process.env.CI
    ? false
    : "PostgreSQL 15 is not installed (apt-get install postgresql)";
let server: PostgresServer;
beforeAll(async () => {
  if (!skip) server = await startPostgres();
});
afterAll(async () => server?.close());

const urls = new WeakMap<object, string>();
describeUnless(skip)("PostgreSQL", () => {
  storeContract("PostgreSQL", {
    async open({ now, blobs }) {
      const url = await server.createDatabase();
      const store = await openPostgresStore({ url, blobs, now });
      urls.set(store, url);
      return store;
    },
    async reopen(store, { blobs }) {
      await store.close();
      const again = await openPostgresStore({ url: urls.get(store)!, blobs });
      urls.set(again, urls.get(store)!);
      return again;
    },
  });

  describe("PostgreSQL store", () => {
    it("migrates once when several nodes open one database at the same time, and refuses a newer schema", async () => {
      const url = await server.createDatabase();
      const blobs = new LocalDirectoryBlobStore("/tmp");
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, blobs })));
      await stores[0].createGeneration({
        id: "g1",
        clientId: "c",
        prompt: "p",
        promptHash: promptHash("p"),
        negativePrompt: null,
        params: {},
        model: "m",
      });
      assert.equal((await stores[2].counts()).generations, 1, "every node sees the same rows");
      assert.match(stores[0].description, /^PostgreSQL 127\.0\.0\.1:\d+\/lumen_test_\d+$/);
      await Promise.all(stores.map((s) => s.close()));

      const client = new pg.Client(url);
      await client.connect();
      expect((await client.query("SELECT version FROM lumen_schema")).rows).toStrictEqual([
        { version: migrations.length },
      ]);
      await client.query("UPDATE lumen_schema SET version = $1", [migrations.length + 1]);
      await client.end();
      await assert.rejects(openPostgresStore({ url, blobs }), /newer than this version of Lumen/);
    });

    it("upgrades a database of the schema before audit providers: audit rows keep their data, with no provider or reason", async () => {
      // The version before the migration that adds the audit's provider and reason columns is the last one without them.
      const version = migrations.findIndex((m) =>
        m.includes("ALTER TABLE audit ADD COLUMN provider")
      );
      assert.ok(version >= 1);
      const url = await server.createDatabase();
      const client = new pg.Client(url);
      await client.connect();
      await client.query("CREATE TABLE lumen_schema (version INTEGER NOT NULL)");
      for (const migration of migrations.slice(0, version)) await client.query(migration);
      await client.query("INSERT INTO lumen_schema (version) VALUES ($1)", [version]);
      const columns = await client.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit' AND column_name IN ('provider', 'reason')"
      );
      assert.equal(columns.rowCount, 0);
      await client.query(
        "INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        ["2025-12-31T00:00:00.000Z", "carol", "prompt", "sexual", promptHash("old"), null, null]
      );
      await client.end();

      const store = await openPostgresStore({ url, blobs: new LocalDirectoryBlobStore("/tmp") });
      const [row] = await store.listAudit();
      expect([row.clientId, row.category, row.createdAt, row.provider, row.reason]).toStrictEqual([
        "carol",
        "sexual",
        "2025-12-31T00:00:00.000Z",
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
      expect(
        (await store.listAudit()).map((r) => [r.clientId, r.provider, r.reason])
      ).toStrictEqual([
        ["dave", "azure", "Hate severity 6 (blocks at 4)"],
        ["carol", null, null],
      ]);
      await store.close();
    });

    it("upgrades a database of the schema before the arena: its rows stay, battles and votes go in, the database checks a vote's winner", async () => {
      const version = migrations.findIndex((m) => m.includes("CREATE TABLE arena_battles"));
      assert.ok(version >= 1);
      const url = await server.createDatabase();
      const client = new pg.Client(url);
      await client.connect();
      await client.query("CREATE TABLE lumen_schema (version INTEGER NOT NULL)");
      for (const migration of migrations.slice(0, version)) await client.query(migration);
      await client.query("INSERT INTO lumen_schema (version) VALUES ($1)", [version]);
      await client.query(
        "INSERT INTO audit (created_at, client_id, kind, category, prompt_hash, prompt, generation_id, provider, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
          "2026-01-01T00:00:00.000Z",
          "carol",
          "prompt",
          "sexual",
          promptHash("old"),
          null,
          null,
          "builtin",
          "nudity",
        ]
      );

      const store = await openPostgresStore({ url, blobs: new LocalDirectoryBlobStore("/tmp") });
      expect((await store.listAudit()).map((r) => [r.clientId, r.provider])).toStrictEqual([
        ["carol", "builtin"],
      ]);
      await store.addBattle({
        id: "b1",
        clientId: "alice",
        promptHash: promptHash("a lake"),
        category: "landscape",
        left: { contender: "sd15", settings: { model: "sd15" }, imageId: "g1-0" },
        right: { contender: "sd21", settings: { model: "sd21" }, imageId: "g2-0" },
      });
      assert.equal(
        (await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "tie" })).winner,
        "tie"
      );
      await store.close();
      await assert.rejects(
        client.query(
          "INSERT INTO arena_votes (battle_id, client_id, winner, created_at) VALUES ('b1', 'bob', 'draw', now())"
        ),
        /violates check constraint/
      );
      await client.end();
    });

    it("turns a wait for a busy connection pool into a StorageError, not an unknown error", async () => {
      const url = await server.createDatabase();
      const store = await openPostgresStore({
        url,
        blobs: new LocalDirectoryBlobStore("/tmp"),
        maxConnections: 1,
      });
      // Another client holds the table, so the store's only connection waits on it.
      const holder = new pg.Client(url);
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE generations IN ACCESS EXCLUSIVE MODE");
      const blocked = store.createGeneration({
        id: "g1",
        clientId: "c",
        prompt: "p",
        promptHash: promptHash("p"),
        negativePrompt: null,
        params: {},
        model: "m",
      });
      try {
        await assert.rejects(store.counts(), (e: unknown) => {
          assert.ok(e instanceof StorageError, String(e));
          assert.equal(e.reason, "POOL_TIMEOUT");
          assert.match(e.message, /no database connection came free in time/);
          return true;
        });
      } finally {
        await holder.query("ROLLBACK");
        await holder.end();
      }
      await blocked;
      assert.equal(
        (await store.counts()).generations,
        1,
        "the waiting write went through once the table was free"
      );
      await store.close();
    });

    it("turns an unreachable server into a StorageError naming the server, without the password", async () => {
      const url = `postgres://lumen:secret@127.0.0.1:${server.port + 1}/nowhere`;
      await assert.rejects(
        openPostgresStore({ url, blobs: new LocalDirectoryBlobStore("/tmp") }),
        (e: unknown) => {
          assert.ok(e instanceof StorageError, String(e));
          assert.equal(e.reason, "ECONNREFUSED");
          assert.match(
            e.message,
            /PostgreSQL 127\.0\.0\.1:\d+\/nowhere: the database server refused the connection/
          );
          assert.doesNotMatch(e.message, /secret/);
          return true;
        }
      );
    });
  });
});
