// The arena service's handling of what the queue reports: a picture withheld by the image filter,
// a failed picture, a client that goes away. The real store, queue, prompt filter, generation
// service and fixture models; the job runner reports the outcomes under test in the worker's event
// shapes (the worker and its image check are tested in the integration suite).
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import sharp from "sharp";
import { ArenaService } from "../../backend/api/arena-service";
import { ApiError } from "../../backend/api/errors";
import { GenerationService } from "../../backend/api/generation-service";
import { loadConfig } from "../../backend/config";
import { ModelPool } from "../../backend/engine";
import { InProcessQueue } from "../../backend/jobs/in-process-queue";
import type { GenerationJob, RunningJob } from "../../backend/jobs/types";
import { createMetrics } from "../../backend/observability/metrics";
import { createSafetyCheck, loadImageChecker, loadPromptFilter } from "../../backend/safety";
import { openStore, type Store } from "../../backend/store";
import { fixturesDir } from "../helpers/fixtures";

type Outcome = "image" | "blocked" | "error" | "hang";

describe("arena service", () => {
  let dir: string;
  let store: Store;
  let pool: ModelPool;
  let queue: InProcessQueue;
  let arena: ArenaService;
  /** What the runner reports for each model's picture. */
  const outcomes: Record<string, Outcome> = {};
  const cancelled: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lumen-arena-"));
    store = openStore(dir);
    const config = loadConfig(
      {
        modelsDir: fixturesDir,
        model: "sd15",
        allowedModels: ["sd15", "sd21"],
        maxSize: 64,
        dataDir: dir,
      },
      {}
    );
    pool = new ModelPool({ device: "cpu", threads: 1 }, fixturesDir);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#3a6" } })
      .png()
      .toBuffer();
    const run = async ({ job, emit, signal }: RunningJob) => {
      const outcome = outcomes[job.model];
      if (outcome === "hang") {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        await store.setStatus(job.id, "cancelled");
        return emit({ type: "done", status: "cancelled" });
      }
      if (outcome === "error") {
        await store.setStatus(job.id, "failed", { error: "generation failed" });
        return emit({ type: "error", code: "internal_error", message: "generation failed" });
      }
      if (outcome === "blocked") {
        await store.addBlockedImage({
          id: `${job.id}-0`,
          generationId: job.id,
          index: 0,
          seed: 1,
          category: "violence",
        });
        emit({
          type: "blocked",
          category: "violence",
          index: 0,
          message: "This image was withheld by the content filter.",
        });
        await store.setStatus(job.id, "blocked", { category: "violence" });
        return emit({ type: "done", status: "blocked" });
      }
      await store.addImage({
        id: `${job.id}-0`,
        generationId: job.id,
        index: 0,
        seed: 1,
        width: 64,
        height: 64,
        png,
      });
      emit({ type: "image", id: `${job.id}-0`, index: 0, seed: 1, url: "", width: 64, height: 64 });
      await store.setStatus(job.id, "done");
      emit({ type: "done", status: "done" });
    };
    queue = new InProcessQueue(
      {
        run: async (batch) => void (await Promise.all(batch.map(run))),
        cancelledWhileWaiting: async (job: GenerationJob) => void cancelled.push(job.id),
      },
      { maxQueue: 8, concurrency: 2, maxBatchImages: 1 }
    );
    const metrics = createMetrics();
    const safety = createSafetyCheck({
      promptFilter: loadPromptFilter(),
      imageChecker: await loadImageChecker(),
    });
    const service = new GenerationService({ config, pool, safety, store, queue, metrics });
    // random() = 0 pairs the first contender (sd15) on the left with the second (sd21) on the right.
    arena = new ArenaService({ config, pool, store, queue, service, random: () => 0 });
  });
  afterAll(async () => {
    await queue.close(100);
    await store.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fight = (signal = new AbortController().signal) =>
    arena.battle("a lake in the hills", { clientId: "alice", requestId: "req-1" }, signal);

  it("stores a battle when both pictures arrive, with the pairing the random source chose", async () => {
    Object.assign(outcomes, { sd15: "image", sd21: "image" });
    const battle = await fight();
    const stored = (await store.getBattle(battle.id))!;
    assert.equal(stored.left.contender, "sd15");
    assert.equal(stored.right.contender, "sd21");
    assert.equal(stored.category, "landscape");
    const picture = await arena.image(battle.id, "left");
    // the left picture is a PNG
    expect(picture.subarray(0, 8)).toStrictEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    );
  });

  it("refuses the battle when the image filter withholds either picture, storing no battle", async () => {
    Object.assign(outcomes, { sd15: "image", sd21: "blocked" });
    const before = (await store.listArenaVotes()).length;
    await assert.rejects(fight(), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, "content_policy_violation");
      assert.equal(e.extra.category, "violence");
      assert.match(e.message, /withheld by the content filter/);
      return true;
    });
    assert.equal((await store.listArenaVotes()).length, before);
    assert.equal(countBattles(dir), 1);
  });

  it("answers a failed picture with an internal error and no battle", async () => {
    Object.assign(outcomes, { sd15: "error", sd21: "image" });
    await assert.rejects(
      fight(),
      (e: unknown) => e instanceof ApiError && e.code === "internal_error"
    );
    assert.equal(countBattles(dir), 1);
  });

  it("cancels both pictures when the client goes away", async () => {
    Object.assign(outcomes, { sd15: "hang", sd21: "hang" });
    const gone = new AbortController();
    const battle = fight(gone.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    gone.abort();
    await assert.rejects(
      battle,
      (e: unknown) => e instanceof ApiError && /cancelled/.test(e.message)
    );
    const statuses = (await store.listGenerations({ clientId: "alice", limit: 2 })).map(
      (g) => g.status
    );
    expect(statuses).toStrictEqual(["cancelled", "cancelled"]);
    assert.equal(countBattles(dir), 1);
  });
});

/** Battles stored, read from the database file itself: the store has no listing of them. */
function countBattles(dir: string): number {
  const db = new Database(join(dir, "lumen.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM arena_battles").get() as { n: number }).n;
  } finally {
    db.close();
  }
}
