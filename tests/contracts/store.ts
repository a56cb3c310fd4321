// The Store contract: what every implementation (SQLite, PostgreSQL) must do, run by each one's
// test file against a real database. `open` gives a new, empty store each time. Its images go to a
// new temporary directory, or to the blob stores a test gives (an S3 bucket).
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { LocalDirectoryBlobStore, type BlobStore } from "../../backend/blobs";
import {
  AlreadyVotedError,
  NotFoundError,
  promptHash,
  type Owner,
  type Store,
} from "../../backend/store";

export interface StoreFactory {
  /** A new empty store on its own database, with this clock and blob store. */
  open(options: { now?: () => Date; blobs: BlobStore }): Promise<Store>;
  /** The same database opened again (a restart). */
  reopen(store: Store, options: { blobs: BlobStore }): Promise<Store>;
}

/** Where a contract run keeps images: a new empty blob store each time, and the names of what it holds (`<sha256>.png`). */
export interface BlobStorage {
  create(): Promise<BlobStore>;
  files(blobs: BlobStore): Promise<string[]>;
}

/** A clock the test moves by hand. */
export function manualClock(start = "2026-01-01T00:00:00.000Z") {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advanceDays: (days: number) => (t += days * 86_400_000),
    set: (iso: string) => (t = Date.parse(iso)),
  };
}

export const png = (fill: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, fill, fill, fill]);

export function storeContract(name: string, factory: StoreFactory, storage?: BlobStorage): void {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const directories: BlobStorage = {
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "lumen-blobs-"));
      dirs.push(dir);
      return new LocalDirectoryBlobStore(dir);
    },
    // Every file, temporary ones included.
    async files(blobs) {
      return readdirSync((blobs as LocalDirectoryBlobStore).root, {
        recursive: true,
        withFileTypes: true,
      })
        .filter((e) => e.isFile())
        .map((e) => e.name);
    },
  };
  const { create: blobDir, files: blobFiles } = storage ?? directories;
  const open = async (clock?: { now: () => Date }) => {
    const blobs = await blobDir();
    return { blobs, store: await factory.open({ now: clock?.now, blobs }) };
  };

  async function newGeneration(
    store: Store,
    id: string,
    clientId = "alice",
    prompt: string | null = "a lake at dusk"
  ) {
    await store.createGeneration({
      id,
      clientId,
      prompt,
      promptHash: promptHash(prompt ?? "a lake at dusk"),
      negativePrompt: null,
      params: { steps: 4, n: 2, width: 512, height: 512 },
      model: "lumen-landscapes",
    });
  }

  /** An 8×8 image whose seed also picks its PNG bytes. */
  const addImage = (store: Store, id: string, generationId: string, index: number, seed: number) =>
    store.addImage({ id, generationId, index, seed, width: 8, height: 8, png: png(seed) });

  /** An arena battle between two contenders, with settings of several JSON types. */
  function battle(store: Store, id: string, left = "sd15", right = "sd21", category = "landscape") {
    return store.addBattle({
      id,
      clientId: "alice",
      promptHash: promptHash("a lake"),
      category,
      left: {
        contender: left,
        settings: { model: left, steps: 4, guidance: 1.5, scheduler: "euler" },
        imageId: `${id}-l-0`,
      },
      right: {
        contender: right,
        settings: { model: right, steps: null, tags: ["a", "b"] },
        imageId: `${id}-r-0`,
      },
    });
  }

  describe(`store contract: ${name}`, () => {
    it("keeps history across closing and reopening", async () => {
      const clock = manualClock();
      let { store, blobs } = await open(clock);
      await newGeneration(store, "g1");
      await store.setStatus("g1", "running");
      clock.advanceDays(0.0001);
      await store.addImage({
        id: "g1-0",
        generationId: "g1",
        index: 0,
        seed: 7,
        width: 512,
        height: 512,
        png: png(1),
      });
      await store.addBlockedImage({
        id: "g1-1",
        generationId: "g1",
        index: 1,
        seed: 8,
        category: "violence",
      });
      await store.setStatus("g1", "done");
      store = await factory.reopen(store, { blobs });
      const g = (await store.getGeneration("g1"))!;
      assert.equal(g.status, "done");
      assert.equal(g.prompt, "a lake at dusk");
      assert.equal(g.promptHash, promptHash("a lake at dusk"));
      expect(g.params).toStrictEqual({ steps: 4, n: 2, width: 512, height: 512 });
      assert.equal(g.createdAt, "2026-01-01T00:00:00.000Z");
      assert.equal(g.startedAt, "2026-01-01T00:00:00.000Z");
      assert.equal(g.finishedAt, new Date(Date.parse("2026-01-01") + 8640).toISOString());
      expect(g.images).toStrictEqual([
        {
          id: "g1-0",
          index: 0,
          seed: 7,
          width: 512,
          height: 512,
          blocked: false,
          category: null,
          eventSeq: null,
        },
        {
          id: "g1-1",
          index: 1,
          seed: 8,
          width: null,
          height: null,
          blocked: true,
          category: "violence",
          eventSeq: null,
        },
      ]);
      const image = (await store.getImage("g1-0"))!;
      expect(await store.blobs.get(image.sha256)).toStrictEqual(png(1));
      assert.equal(await store.getImage("g1-1"), undefined, "a blocked image has no blob to serve");
      await store.close();
    });

    it("sets status details; an unknown generation throws NotFoundError", async () => {
      const { store, blobs } = await open();
      await newGeneration(store, "g1");
      await store.setStatus("g1", "failed", { error: "generation failed" });
      const g = (await store.getGeneration("g1"))!;
      assert.equal(g.error, "generation failed");
      assert.ok(g.finishedAt);
      await assert.rejects(store.setStatus("nope", "done"), NotFoundError);
      await assert.rejects(
        store.addImage({
          id: "x",
          generationId: "nope",
          index: 0,
          seed: 1,
          width: 8,
          height: 8,
          png: png(9),
        }),
        NotFoundError
      );
      await assert.rejects(
        store.addBlockedImage({
          id: "y",
          generationId: "nope",
          index: 0,
          seed: 1,
          category: "gore",
        }),
        NotFoundError
      );
      // the blob of a refused image is not left behind
      expect(await blobFiles(blobs)).toStrictEqual([]);
      await store.close();
    });

    it("lists generations newest first, by client, in pages", async () => {
      const clock = manualClock();
      const { store } = await open(clock);
      for (let i = 1; i <= 5; i++) {
        await newGeneration(store, `g${i}`, i % 2 ? "alice" : "bob");
        if (i !== 3) clock.advanceDays(1); // g3 and g4 share a timestamp: insertion order breaks the tie
      }
      const ids = async (options?: Parameters<Store["listGenerations"]>[0]) =>
        (await store.listGenerations(options)).map((g) => g.id);
      expect(await ids()).toStrictEqual(["g5", "g4", "g3", "g2", "g1"]);
      expect(await ids({ clientId: "alice" })).toStrictEqual(["g5", "g3", "g1"]);
      const page1 = await ids({ limit: 2 });
      const page2 = await ids({ limit: 2, before: page1.at(-1)! });
      const page3 = await ids({ limit: 2, before: page2.at(-1)! });
      expect([page1, page2, page3]).toStrictEqual([["g5", "g4"], ["g3", "g2"], ["g1"]]);
      expect(await ids({ before: "unknown" })).toStrictEqual([]);
      await store.close();
    });

    it("stores images content-addressed: the same bytes make one blob", async () => {
      const { store, blobs } = await open();
      await newGeneration(store, "g1");
      await newGeneration(store, "g2");
      const a = await addImage(store, "a", "g1", 0, 1);
      const b = await addImage(store, "b", "g2", 0, 1);
      const c = await addImage(store, "c", "g2", 1, 2);
      assert.equal(a.sha256, b.sha256);
      assert.equal((await store.getImage("a"))!.sha256, (await store.getImage("b"))!.sha256);
      assert.notEqual(c.sha256, a.sha256);
      // no temporary files are left
      expect((await blobFiles(blobs)).sort()).toStrictEqual(
        [`${a.sha256}.png`, `${c.sha256}.png`].sort()
      );
      assert.equal((await store.counts()).images, 3);
      await store.close();
    });

    it("writes an image of a (generation, index) once: a second write keeps the first row and leaves no extra blob", async () => {
      const { store, blobs } = await open();
      await newGeneration(store, "g1");
      const first = await store.addImage({
        id: "g1-0",
        generationId: "g1",
        index: 0,
        seed: 1,
        width: 8,
        height: 8,
        png: png(1),
        eventSeq: 4,
      });
      const again = await store.addImage({
        id: "g1-0",
        generationId: "g1",
        index: 0,
        seed: 1,
        width: 8,
        height: 8,
        png: png(3),
        eventSeq: 9,
      });
      expect(again).toStrictEqual(first);
      await store.addBlockedImage({
        id: "g1-1",
        generationId: "g1",
        index: 1,
        seed: 2,
        category: "gore",
      });
      await store.addBlockedImage({
        id: "g1-1",
        generationId: "g1",
        index: 1,
        seed: 2,
        category: "gore",
      });
      const g = (await store.getGeneration("g1"))!;
      expect(g.images.map((i) => [i.id, i.eventSeq])).toStrictEqual([
        ["g1-0", 4],
        ["g1-1", null],
      ]);
      expect(await blobFiles(blobs)).toStrictEqual([`${first.sha256}.png`]);
      assert.equal((await store.counts()).images, 2);
      await store.close();
    });

    it("purges by age, keeping a blob that a kept image still uses", async () => {
      const clock = manualClock("2026-01-01T00:00:00.000Z");
      const { store, blobs } = await open(clock);
      await newGeneration(store, "old");
      await addImage(store, "old-0", "old", 0, 1); // shared
      const onlyOld = await addImage(store, "old-1", "old", 1, 2); // only old
      await store.addBlockedImage({
        id: "old-2",
        generationId: "old",
        index: 2,
        seed: 3,
        category: "gore",
      });
      clock.set("2026-01-20T00:00:00.000Z");
      await newGeneration(store, "new");
      const shared = await addImage(store, "new-0", "new", 0, 1);
      await store.addFeedback({ imageId: "old-0", rating: "up", clientId: "alice" });
      await store.addFeedback({ imageId: "new-0", rating: "down", clientId: "alice" });
      await store.addAudit({
        clientId: "alice",
        kind: "image",
        category: "gore",
        promptHash: promptHash("x"),
        prompt: null,
        generationId: "old",
      });

      assert.equal(
        await store.purgeOlderThan(30, new Date("2026-01-31T00:00:00.000Z")),
        0,
        "nothing is 30 days old yet"
      );
      assert.equal(await store.purgeOlderThan(30, new Date("2026-02-01T00:00:00.001Z")), 1);
      assert.equal(await store.getGeneration("old"), undefined);
      assert.equal(await store.getImage("old-0"), undefined);
      assert.ok(await store.getGeneration("new"));
      assert.ok(await blobs.has(shared.sha256), "a blob still used by a kept image stays");
      assert.ok(!(await blobs.has(onlyOld.sha256)), "a blob no longer used goes");
      expect(await store.counts()).toStrictEqual({
        generations: 1,
        images: 1,
        feedback: 1,
        audit: 1,
      });

      clock.set("2026-03-01T00:00:00.000Z");
      assert.equal(await store.purgeOlderThan(30), 1, "now defaults to the store's clock");
      assert.ok(!(await blobs.has(shared.sha256)));
      expect(await store.counts()).toStrictEqual({
        generations: 0,
        images: 0,
        feedback: 0,
        audit: 1,
      });
      await assert.rejects(store.purgeOlderThan(-1), RangeError);
      await store.close();
    });

    it("stores feedback with the image's generation; an unknown image throws NotFoundError and changes nothing", async () => {
      const { store } = await open(manualClock());
      await newGeneration(store, "g1");
      await addImage(store, "g1-0", "g1", 0, 1);
      await store.addBlockedImage({
        id: "g1-1",
        generationId: "g1",
        index: 1,
        seed: 2,
        category: "sexual",
        width: 8,
        height: 8,
      });
      const f = await store.addFeedback({
        imageId: "g1-0",
        rating: "up",
        comment: "lovely",
        clientId: "bob",
      });
      expect(f).toStrictEqual({
        id: f.id,
        imageId: "g1-0",
        generationId: "g1",
        rating: "up",
        comment: "lovely",
        clientId: "bob",
        createdAt: "2026-01-01T00:00:00.000Z",
      });
      assert.equal(typeof f.id, "number");
      const before = await store.counts();
      await assert.rejects(
        store.addFeedback({ imageId: "nope", rating: "down", clientId: "bob" }),
        (e: unknown) => {
          assert.ok(e instanceof NotFoundError);
          assert.equal(e.entity, "image");
          assert.equal(e.id, "nope");
          return true;
        }
      );
      await assert.rejects(
        store.addFeedback({ imageId: "g1-1", rating: "down", clientId: "bob" }),
        NotFoundError,
        "a blocked image cannot be rated"
      );
      expect(await store.counts()).toStrictEqual(before);
      await store.close();
    });

    it("keeps audit rows newest first, with prompt null when its text is not stored, and the provider that blocked and why", async () => {
      const clock = manualClock();
      const { store } = await open(clock);
      await store.addAudit({
        clientId: "alice",
        kind: "prompt",
        category: "violence",
        promptHash: promptHash("bad"),
        prompt: null,
      });
      clock.advanceDays(1);
      await store.addAudit({
        clientId: "bob",
        kind: "prompt",
        category: "hate",
        promptHash: promptHash("worse"),
        prompt: "worse",
        provider: "azure",
        reason: "Hate severity 6 (blocks at 4)",
      });
      const rows = await store.listAudit();
      expect(rows.map(({ id: _, ...r }) => r)).toStrictEqual([
        {
          createdAt: "2026-01-02T00:00:00.000Z",
          clientId: "bob",
          kind: "prompt",
          category: "hate",
          promptHash: promptHash("worse"),
          prompt: "worse",
          generationId: null,
          provider: "azure",
          reason: "Hate severity 6 (blocks at 4)",
        },
        {
          createdAt: "2026-01-01T00:00:00.000Z",
          clientId: "alice",
          kind: "prompt",
          category: "violence",
          promptHash: promptHash("bad"),
          prompt: null,
          generationId: null,
          provider: null,
          reason: null,
        },
      ]);
      assert.equal(typeof rows[0].id, "number");
      assert.equal((await store.listAudit({ limit: 1 })).length, 1);
      await store.close();
    });

    it("keeps a generation to its owner: others (another user, another tenant) find nothing", async () => {
      const { store } = await open();
      const ada: Owner = { tenantId: "t1", userId: "ada" };
      const bob: Owner = { tenantId: "t1", userId: "bob" };
      const adaElsewhere: Owner = { tenantId: "t2", userId: "ada" };
      await store.createGeneration({
        id: "g1",
        clientId: "t1:ada",
        prompt: "a lake",
        promptHash: promptHash("a lake"),
        negativePrompt: null,
        params: {},
        model: "m",
        owner: ada,
      });
      await addImage(store, "g1-0", "g1", 0, 1);

      expect((await store.getGeneration("g1", ada))?.owner).toStrictEqual(ada);
      assert.ok(
        await store.getGeneration("g1"),
        "without an owner to check (sign-in off) the id is enough"
      );
      for (const other of [bob, adaElsewhere]) {
        assert.equal(await store.getGeneration("g1", other), undefined);
        assert.equal(await store.getImage("g1-0", other), undefined);
        expect(await store.listGenerations({ owner: other })).toStrictEqual([]);
        await assert.rejects(
          store.addFeedback({ imageId: "g1-0", rating: "down", clientId: "x", owner: other }),
          NotFoundError
        );
      }
      assert.ok(await store.getImage("g1-0", ada));
      expect((await store.listGenerations({ owner: ada })).map((g) => g.id)).toStrictEqual(["g1"]);
      assert.equal(
        (await store.addFeedback({ imageId: "g1-0", rating: "up", clientId: "t1:ada", owner: ada }))
          .generationId,
        "g1"
      );
      assert.equal((await store.counts()).feedback, 1);
      await store.close();
    });

    it("keeps no images of a failed generation: rows and unshared blobs go, a blob another generation uses stays", async () => {
      const { store, blobs } = await open();
      await newGeneration(store, "g1");
      await newGeneration(store, "g2");
      await addImage(store, "g1-0", "g1", 0, 1);
      const only = await addImage(store, "g1-1", "g1", 1, 2);
      await store.addBlockedImage({
        id: "g1-2",
        generationId: "g1",
        index: 2,
        seed: 3,
        category: "gore",
      });
      const shared = await addImage(store, "g2-0", "g2", 0, 1);

      await store.setStatus("g1", "failed", {
        error: "images could not be stored",
        errorCode: "storage_unavailable",
        eventSeq: 9,
      });
      const g = (await store.getGeneration("g1"))!;
      expect([g.status, g.error, g.errorCode, g.eventSeq, g.images]).toStrictEqual([
        "failed",
        "images could not be stored",
        "storage_unavailable",
        9,
        [],
      ]);
      assert.ok(!(await blobs.has(only.sha256)));
      assert.ok(await store.blobs.get(shared.sha256));
      expect(await blobFiles(blobs)).toStrictEqual([`${shared.sha256}.png`]);
      await store.close();
    });

    it("keeps the job of an unfinished generation for recovery, counts runs and recoveries, and drops the job when it finishes", async () => {
      const clock = manualClock();
      const { store } = await open(clock);
      const job = { id: "g1", request: { prompt: "a lake", seed: 5, n: 2 } };
      await store.createGeneration({
        id: "g1",
        clientId: "c",
        prompt: "a lake",
        promptHash: promptHash("a lake"),
        negativePrompt: null,
        params: {},
        model: "m",
        job,
      });
      clock.advanceDays(0.001);
      await newGeneration(store, "g2");
      clock.advanceDays(0.001);
      await newGeneration(store, "g3");
      await store.setStatus("g1", "running");
      await store.addImage({
        id: "g1-0",
        generationId: "g1",
        index: 0,
        seed: 5,
        width: 8,
        height: 8,
        png: png(1),
        eventSeq: 7,
      });
      await store.setStatus("g3", "done", { eventSeq: 4 });

      const unfinished = await store.unfinishedGenerations();
      expect(unfinished.map((g) => [g.id, g.status, g.runs, g.recoveries])).toStrictEqual([
        ["g1", "running", 1, 0],
        ["g2", "queued", 0, 0],
      ]);
      expect(unfinished[0].job).toStrictEqual(job);
      assert.equal(unfinished[1].job, null, "no job was kept for g2");
      expect(unfinished[0].images.map((i) => [i.id, i.eventSeq])).toStrictEqual([["g1-0", 7]]);

      assert.equal(await store.requeue("g1"), 1);
      assert.equal((await store.getGeneration("g1"))!.status, "queued");
      assert.equal((await store.getGeneration("g1"))!.startedAt, null);
      await assert.rejects(
        store.requeue("g3"),
        NotFoundError,
        "a finished generation is not queued again"
      );
      await store.setStatus("g1", "running");
      expect(
        (await store.unfinishedGenerations()).map((g) => [g.id, g.runs, g.recoveries])
      ).toStrictEqual([
        ["g1", 2, 1],
        ["g2", 0, 0],
      ]);
      await store.setStatus("g1", "done", { eventSeq: 12 });
      expect((await store.unfinishedGenerations()).map((g) => g.id)).toStrictEqual(["g2"]);
      assert.equal((await store.getGeneration("g1"))!.eventSeq, 12);
      await store.close();
    });

    it("keeps arena battles with their contenders' settings across closing and reopening", async () => {
      let { store, blobs } = await open(manualClock("2026-03-01T10:00:00.000Z"));
      const created = await battle(store, "b1");
      assert.equal(created.createdAt, "2026-03-01T10:00:00.000Z");
      store = await factory.reopen(store, { blobs });
      expect(await store.getBattle("b1")).toStrictEqual(created);
      expect((await store.getBattle("b1"))!.right.settings).toStrictEqual({
        model: "sd21",
        steps: null,
        tags: ["a", "b"],
      });
      assert.equal(await store.getBattle("nope"), undefined);
      await store.close();
    });

    it("takes one arena vote per battle and user: a second is refused and changes nothing; an unknown battle is not found", async () => {
      const clock = manualClock();
      const { store } = await open(clock);
      await battle(store, "b1");
      clock.advanceDays(0.001);
      const vote = await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "left" });
      expect(vote).toStrictEqual({
        id: vote.id,
        battleId: "b1",
        clientId: "alice",
        winner: "left",
        left: "sd15",
        right: "sd21",
        category: "landscape",
        createdAt: "2026-01-01T00:01:26.400Z",
      });
      assert.equal(typeof vote.id, "number");
      await assert.rejects(
        store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "right" }),
        (e: unknown) => e instanceof AlreadyVotedError && e.battleId === "b1"
      );
      await store.addArenaVote({ battleId: "b1", clientId: "bob", winner: "tie" });
      await assert.rejects(
        store.addArenaVote({ battleId: "nope", clientId: "alice", winner: "left" }),
        (e: unknown) => {
          assert.ok(e instanceof NotFoundError);
          expect([e.entity, e.id]).toStrictEqual(["battle", "nope"]);
          return true;
        }
      );
      expect(
        (await store.listArenaVotes()).map((v) => [v.battleId, v.clientId, v.winner])
      ).toStrictEqual([
        ["b1", "alice", "left"],
        ["b1", "bob", "tie"],
      ]);
      await store.close();
    });

    it("reads back the leaderboard's inputs: votes oldest first with their battle's contenders and category, all or of one category", async () => {
      const { store } = await open(manualClock());
      await battle(store, "b1", "sd15", "sd21", "landscape");
      await battle(store, "b2", "sdxl", "sd15", "people");
      await store.addArenaVote({ battleId: "b2", clientId: "alice", winner: "both_bad" });
      await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "right" });
      await store.addArenaVote({ battleId: "b2", clientId: "bob", winner: "left" });
      const inputs = (votes: Awaited<ReturnType<Store["listArenaVotes"]>>) =>
        votes.map((v) => [v.battleId, v.left, v.right, v.winner, v.category]);
      expect(inputs(await store.listArenaVotes())).toStrictEqual([
        ["b2", "sdxl", "sd15", "both_bad", "people"],
        ["b1", "sd15", "sd21", "right", "landscape"],
        ["b2", "sdxl", "sd15", "left", "people"],
      ]);
      expect(inputs(await store.listArenaVotes({ category: "people" }))).toStrictEqual([
        ["b2", "sdxl", "sd15", "both_bad", "people"],
        ["b2", "sdxl", "sd15", "left", "people"],
      ]);
      expect(await store.listArenaVotes({ category: "animals" })).toStrictEqual([]);
      await store.close();
    });

    it("refuses an arena battle of a contender against itself, storing nothing", async () => {
      const { store } = await open();
      await assert.rejects(battle(store, "b1", "sd15", "sd15"), /check constraint/i);
      assert.equal(await store.getBattle("b1"), undefined);
      await store.close();
    });

    it("keeps arena battles and votes when the retention purge removes the generations of their pictures", async () => {
      const clock = manualClock();
      const { store } = await open(clock);
      await newGeneration(store, "g1");
      await battle(store, "b1");
      await store.addArenaVote({ battleId: "b1", clientId: "alice", winner: "left" });
      clock.advanceDays(40);
      assert.equal(await store.purgeOlderThan(30), 1);
      assert.equal(await store.getGeneration("g1"), undefined);
      assert.ok(await store.getBattle("b1"));
      expect((await store.listArenaVotes()).map((v) => v.winner)).toStrictEqual(["left"]);
      await store.close();
    });

    it("takes text as it is: quotes, unicode and SQL-looking prompts round-trip", async () => {
      const { store } = await open();
      const prompt = `a "lake" at dusk'); DROP TABLE generations; -- 湖 🌅`;
      await newGeneration(store, "g1", "alice", prompt);
      assert.equal((await store.getGeneration("g1"))!.prompt, prompt);
      assert.equal((await store.counts()).generations, 1);
      await store.close();
    });
  });
}
